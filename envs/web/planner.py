"""The scripted web planner: dispatches to the solver registered for the task's name."""

from __future__ import annotations

from functools import cache

from agentloop.calls import SkillCall
from agentloop.records import Plan
from agentloop.roles.context import Context
from agentloop.roles.planner import BasePlanner

from .solving import find_solver


@cache
def _load_solvers() -> None:
    """Register the bundled solvers, once per process."""
    from .miniwob import solvers
    from .site import solvers as site_solvers

    solvers.register()
    site_solvers.register()


def task_of(ctx: Context) -> str:
    """The task's name as the env reports it, else the env id's ("miniwob.click-button")."""
    return ctx.perception.task or ctx.env_id.split("/", 1)[-1]


class WebPlanner(BasePlanner):
    """Solves the web tasks it has a solver for from the element graph; waits otherwise."""

    name = "scripted"

    def __init__(self) -> None:
        super().__init__()
        _load_solvers()

    def plan(self, ctx: Context) -> Plan:
        return Plan(subgoals=[ctx.goal], steps=[str(self.next_action(ctx))])

    def next_action(self, ctx: Context) -> str | SkillCall:
        solver = find_solver(task_of(ctx))
        if solver is None:
            return SkillCall(name="wait", args={"ms": 100})
        return solver(ctx)
