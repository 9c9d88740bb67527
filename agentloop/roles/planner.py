"""Planner role: propose the next action, with the plan behind it, and take feedback.

The loop asks for a `Proposal` once per candidate and hands every critic rejection,
validator failure, action error and human correction to `feedback`. How a planner gets to
its proposal is its own business: the VLM planner plans and reflects (two model calls) when
it has something new to plan for. Implementations: `BasePlanner` and `FunctionPlanner` here
(a callable decides; for tests and users' own policies), the scripted planner of each
built-in env (`agentloop.envs.<family>.planner`), and the VLM planner (`agentloop.roles.vlm`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from agentloop.calls import SkillCall
from agentloop.context import Context
from agentloop.records import Feedback, Plan


@dataclass(frozen=True)
class Proposal:
    """What a planner proposes at a step: the action, and the plan when it (re)planned."""

    action: Any  # skill-call text or a `SkillCall` (a plain env's own action passes too)
    plan: Plan | None = None  # stage one: subgoals and upcoming calls
    reflected: Plan | None = None  # stage two: the plan after checking it against the scene


@runtime_checkable
class Planner(Protocol):
    """Decides what to do next (see the module's docstring)."""

    name: str

    def reset(self, ctx: Context) -> None:
        """A new episode begins."""

    def propose(self, ctx: Context) -> Proposal:
        """The next action; `ctx.candidate` > 0 asks for another draw at the same step."""

    def feedback(self, feedback: Feedback, ctx: Context) -> None:
        """Take a critic suggestion, validator failure, action error or human correction."""


class BasePlanner:
    """A planner that decides action by action: subclasses implement `next_action` and may
    implement `plan`, which is asked for at the start and after each piece of feedback."""

    name = "base"

    def __init__(self) -> None:
        self.received: list[Feedback] = []
        self._stale = True

    def reset(self, ctx: Context) -> None:
        self.received = []
        self._stale = True

    def plan(self, ctx: Context) -> Plan:
        return Plan(subgoals=[ctx.goal])

    def next_action(self, ctx: Context) -> str | SkillCall:
        raise NotImplementedError

    def propose(self, ctx: Context) -> Proposal:
        plan = None
        if self._stale:
            plan, self._stale = self.plan(ctx), False
        return Proposal(action=self.next_action(ctx), plan=plan, reflected=plan)

    def feedback(self, feedback: Feedback, ctx: Context) -> None:
        self.received.append(feedback)
        self._stale = True


PolicyFn = Callable[[Context], Any]


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

    def next_action(self, ctx: Context) -> Any:
        return self.fn(ctx)
