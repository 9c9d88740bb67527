"""The scripted web planner's solvers, found by task name.

A solver is a function of the loop's `Context` returning the next skill call. Task sources
register theirs by name or glob (`register_solver("miniwob.click-*", fn)`); `WebPlanner` asks
`find_solver` for the one of the task at hand.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable

from agentloop.calls import SkillCall
from agentloop.roles.context import Context

Solver = Callable[[Context], "SkillCall | str"]
_SOLVERS: list[tuple[str, Solver]] = []


def register_solver(pattern: str, solver: Solver) -> None:
    """Register a scripted solver for task names matching a glob, e.g. "miniwob.click-*"."""
    _SOLVERS.append((pattern, solver))


def find_solver(task: str) -> Solver | None:
    """The solver for `task`: exact names win over globs, later registrations over earlier."""
    for pattern, solver in reversed(_SOLVERS):
        if pattern == task:
            return solver
    for pattern, solver in reversed(_SOLVERS):
        if fnmatch.fnmatchcase(task, pattern):
            return solver
    return None


def solved_tasks() -> list[str]:
    """Every registered pattern, in registration order."""
    return [p for p, _ in _SOLVERS]
