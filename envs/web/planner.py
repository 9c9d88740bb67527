"""The scripted web planner: dispatches to the solver registered for the task's name."""

from __future__ import annotations

from functools import cache

from agentloop.calls import SkillCall
from agentloop.context import Context
from agentloop.envs.web.solving import Remembering, find_solver
from agentloop.records import Plan
from agentloop.roles.planner import BasePlanner
from agentloop.scene import SceneGraph


@cache
def _load_solvers() -> None:
    """Register the bundled solvers, once per process."""
    from agentloop.envs.web.miniwob import solvers
    from agentloop.envs.web.site import solvers as site_solvers

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
        # The scene graphs seen this episode, one per step: what a model's context would hold.
        self.seen: list[SceneGraph] = []
        self._seen_step = -1

    def reset(self, ctx: Context) -> None:
        super().reset(ctx)
        self.seen, self._seen_step = [], -1

    def plan(self, ctx: Context) -> Plan:
        return Plan(subgoals=[ctx.goal], steps=[str(self.next_action(ctx))])

    def next_action(self, ctx: Context) -> str | SkillCall:
        if ctx.scene is not None and ctx.step != self._seen_step:  # once a step, not per draw
            self.seen.append(ctx.scene)
            self._seen_step = ctx.step
        solver = find_solver(task_of(ctx))
        if solver is None:
            return SkillCall(name="wait", args={"ms": 100})
        if isinstance(solver, Remembering):
            return solver.solve(ctx, self.seen)
        return solver(ctx)
