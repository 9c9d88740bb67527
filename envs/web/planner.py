"""The scripted web planner: dispatches to the solver registered for the task's name."""

from __future__ import annotations

from agentloop.records import Plan
from agentloop.roles.context import Context
from agentloop.roles.planner import BasePlanner
from agentloop.skills import SkillCall

from .task import find_solver


def _load_solvers() -> None:
    from .miniwob import solvers

    solvers.register()
    try:
        from .site import solvers as site_solvers  # type: ignore[attr-defined]
    except ImportError:
        return
    if hasattr(site_solvers, "register"):
        site_solvers.register()


_loaded = False


def task_of(ctx: Context) -> str:
    task = ctx.info.get("task") if isinstance(ctx.info, dict) else None
    return task or ctx.env_id.split("/", 1)[-1]


class WebPlanner(BasePlanner):
    """Solves the web tasks it has a solver for from the element graph; waits otherwise."""

    name = "scripted"

    def __init__(self) -> None:
        super().__init__()
        global _loaded
        if not _loaded:
            _load_solvers()
            _loaded = True

    def plan(self, ctx: Context) -> Plan:
        return Plan(subgoals=[ctx.goal], steps=[str(self.next_action(ctx))])

    def next_action(self, ctx: Context) -> str | SkillCall:
        solver = find_solver(task_of(ctx))
        if solver is None:
            return SkillCall(name="wait", args={"ms": 100})
        return solver(ctx)
