"""The scripted web planner's solvers, found by task name.

A solver is a function of the loop's `Context` returning the next skill call. Task sources
register theirs by name or glob (`register_solver("miniwob.click-*", fn)`); `WebPlanner` asks
`find_solver` for the one of the task at hand. A `Remembering` solver also reads the scene
graphs seen earlier in the episode, as a model reads its past observations (a number shown
and then hidden, a card turned over and back).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from agentloop.calls import SkillCall
from agentloop.context import Context
from agentloop.scene import SceneGraph


@dataclass(frozen=True)
class Remembering:
    """A solver of the context and the episode's earlier scene graphs (oldest first, the
    current one last)."""

    solve: Callable[[Context, Sequence[SceneGraph]], SkillCall | str]


Solver = Callable[[Context], "SkillCall | str"] | Remembering
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
