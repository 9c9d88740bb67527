"""Planner role: propose a plan, reflect on it, take feedback, name the next action.

The loop calls `plan` then `reflect` at the start and after feedback, and `next_action` once
per candidate. Implementations: `FunctionPlanner` here (a callable decides; for tests and
users' own policies), the scripted planner of each built-in env (`agentloop.envs.<family>.planner`),
and the VLM planner (`agentloop.roles.vlm`).
"""

from __future__ import annotations

from typing import Callable, Protocol, runtime_checkable

from agentloop.records import Feedback, Plan
from agentloop.roles.context import Context
from agentloop.skills import SkillCall


@runtime_checkable
class Planner(Protocol):
    name: str

    def reset(self, ctx: Context) -> None:
        """A new episode begins."""

    def plan(self, ctx: Context) -> Plan:
        """Stage one: propose subgoals and upcoming skill calls."""

    def reflect(self, plan: Plan, ctx: Context) -> Plan:
        """Stage two: check the proposal against the scene and commit to it."""

    def replan(self, feedback: Feedback, ctx: Context) -> None:
        """Take a critic suggestion, validator failure, action error or human correction."""

    def next_action(self, ctx: Context) -> str | SkillCall:
        """The next action, as skill-call text or a `SkillCall`."""


class BasePlanner:
    """Defaults for planners that decide action by action without an explicit plan."""

    name = "base"

    def __init__(self) -> None:
        self.feedback: list[Feedback] = []

    def reset(self, ctx: Context) -> None:
        self.feedback = []

    def plan(self, ctx: Context) -> Plan:
        return Plan(subgoals=[ctx.goal])

    def reflect(self, plan: Plan, ctx: Context) -> Plan:
        return plan

    def replan(self, feedback: Feedback, ctx: Context) -> None:
        self.feedback.append(feedback)

    def next_action(self, ctx: Context) -> str | SkillCall:
        raise NotImplementedError


PolicyFn = Callable[[Context], "str | SkillCall"]


class FunctionPlanner(BasePlanner):
    """A planner whose action comes from a plain function of the context.

    `fn(ctx)` sees `ctx.feedback` (everything the critic, validator or a human said so far),
    so a scripted policy can react to rejections exactly as a model would.
    """

    name = "function"

    def __init__(self, fn: PolicyFn, name: str | None = None):
        super().__init__()
        self.fn = fn
        if name:
            self.name = name

    def next_action(self, ctx: Context) -> str | SkillCall:
        return self.fn(ctx)
