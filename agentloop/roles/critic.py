"""Critic role: judge an action *before* it runs (GUI-Critic-R1's pre-operative critic).

A rejection carries a suggestion that goes back to the planner. Implementations: `NoCritic`
(open loop), `PreconditionCritic` (skill preconditions on the scene graph plus a guard on
irreversible skills; needs no model), `ChainedCritic` (the rules first, a model critic on what
they let through) and the VLM critic in `agentloop.roles.vlm`.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from agentloop.context import Context, call_targets
from agentloop.records import Verdict, VerdictSource
from agentloop.skillset import BoundCall, Unmet


@runtime_checkable
class Critic(Protocol):
    """Judges a bound action before it runs."""

    name: str

    def review(self, action: BoundCall, ctx: Context) -> Verdict:
        """Accept or reject `action` in the current state, with a score and a suggestion."""


class NoCritic:
    """Accepts everything: the open loop."""

    name = "none"

    def review(self, action: BoundCall, ctx: Context) -> Verdict:
        return Verdict(ok=True, source=VerdictSource.NONE)


class PreconditionCritic:
    """Rejects calls whose skill precondition fails on the perceived scene graph, and guards
    irreversible skills: they need a scene to check against and never run twice with the
    same arguments in one episode (no double delete, double payment or double submit)."""

    name = "rule"

    def review(self, action: BoundCall, ctx: Context) -> Verdict:
        if is_irreversible(action, ctx):
            if ctx.scene is None:
                return Verdict(
                    ok=False, score=0.0,
                    reason=f"{action.call.name} is irreversible and there is no scene graph to check it against",
                    suggestion="observe the state with a reversible action first",
                )
            text, targets = str(action.call), call_targets(action.call, ctx.scene)
            if any(h.action == text and h.action_error is None and h.targets == targets for h in ctx.history):
                return Verdict(
                    ok=False, score=0.0,
                    reason=f"irreversible action {text} already ran in this episode",
                    suggestion="check whether the first attempt took effect instead of repeating it",
                )
        if ctx.scene is None:
            return Verdict(ok=True, score=None, reason="no scene graph; preconditions not checked")
        try:
            problem = action.skill.precondition(ctx.scene, action.args)
        except Exception as e:  # a precondition that crashes must not take the episode down
            return Verdict(ok=False, score=0.0, reason=f"precondition check failed: {e!r}")
        if problem:
            return Verdict(ok=False, score=0.0, reason=str(problem), suggestion=_suggest(problem))
        return Verdict(ok=True, score=1.0, reason="preconditions hold")


def is_irreversible(action: BoundCall, ctx: Context) -> bool:
    """Irreversible when the skill is (delete, pay, send) or when it acts on an element the
    env marks `irreversible` (a "Place order" button clicked with an ordinary `click`)."""
    if action.irreversible:
        return True
    if ctx.scene is None:
        return False
    for value in action.call.args.values():
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            node = ctx.scene.node(str(value))
            if node is not None and node.attrs.get("irreversible"):
                return True
    return False


def _suggest(problem: str | Unmet) -> str:
    """The condition to reach, where the skill names it; else what to change."""
    if isinstance(problem, Unmet):
        return problem.reach
    return f"choose an action that changes this first: {problem}"


class ChainedCritic:
    """Rule critic first (cheap, exact); a model critic (the VLM critic or a learned one)
    judges what the rules let through."""

    name = "rule+vlm"

    def __init__(self, rule: Critic | None = None, vlm: Critic | None = None):
        self.rule = rule or PreconditionCritic()
        self.vlm = vlm
        self.name = f"{self.rule.name}+{vlm.name}" if vlm is not None else self.rule.name

    def review(self, action: BoundCall, ctx: Context) -> Verdict:
        v = self.rule.review(action, ctx)
        if not v.ok or self.vlm is None:
            return v
        return self.vlm.review(action, ctx)
