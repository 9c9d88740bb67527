"""Scripted solvers for MiniWoB++ tasks, one module per kind of task.

Each module holds a `SOLVERS` table (task name or glob -> solver); `register()` hands them
all to the web planner's registry. A solver reads the goal, the element graph, the text view
and the screenshot — what a model reads — and returns the next skill call.
"""

from __future__ import annotations

from agentloop.envs.web.miniwob.solvers import apps, basic, forms, memory, pointer, reading, visual, widgets
from agentloop.envs.web.solving import register_solver


def register() -> None:
    """Register every bundled MiniWoB++ solver with the web planner's table."""
    for module in (apps, basic, forms, memory, pointer, reading, visual, widgets):
        for name, fn in module.SOLVERS.items():
            register_solver(name, fn)
