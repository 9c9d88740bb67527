"""A model-driven planner for the report's tests, loaded by `agentloop run --planner
tests.report.agents:mischief`: the real VLM planner over a scripted model whose replies
carry markup and, per episode, cause one critic rejection (a precondition-violating first
proposal) and one action error (an unusable reply); with the toy env's `slip_first=1` its
first switch slips and the validator fails it.

The replies are keyed on the call's kind (told by its schema) and on the facts of the context
the planner is asked about (the goal's lamps, which lamps are on, whether the episode has been
proposed for yet), never on a prompt's wording, so a reworded prompt leaves the run unchanged."""

from __future__ import annotations

import re

from agentloop.context import Context
from agentloop.roles.planner import Proposal
from agentloop.roles.vlm import VLMPlanner
from agentloop.testing.models import ReplyKind, ScriptedModel

MARKUP = "<script>window.pwned=1</script><b>bold</b>"
BAD_REPLY = "<script>window.pwned=2</script> not a call"


def _switch_on(lamp: str) -> str:
    return f'switch_on(lamp="{lamp}")'


class _Script:
    """The scripted model's replies, from the context of the proposal being made."""

    def __init__(self) -> None:
        self.ctx: Context | None = None
        self.fresh = True  # no plan asked for yet this episode: the next one proposes the wrong call

    def todo(self) -> list[str]:
        """The goal's lamps that are not on yet (all of them if none is left)."""
        assert self.ctx is not None
        targets = re.findall(r"lamp_\d+", self.ctx.goal)
        on = {n.id for n in self.ctx.scene.nodes if n.get("on")} if self.ctx.scene else set()
        return [t for t in targets if t not in on] or targets

    def reply(self, kind: str, prompt: str) -> str | dict[str, object]:
        if kind == ReplyKind.PLAN.value:
            todo = self.todo()
            # Every remaining lamp is a step, so the plan outlives its first call and the
            # next step asks for an action (which comes back unusable).
            action = {"skill": "switch_on", "args": {"lamp": todo[0]}}
            if self.fresh:  # the goal's first lamp is off: switching it off breaks its precondition
                action = {"skill": "switch_off", "args": {"lamp": todo[0]}}
            self.fresh = False
            plan: dict[str, object] = {"phase": "complete", "subgoals": [f"switch on {t}" for t in todo],
                                       "steps": [_switch_on(t) for t in todo], "rationale": f"the lamps {MARKUP}",
                                       "next_action": action}
            return plan
        if kind == ReplyKind.REFLECT.value:  # finds nothing to fix: the wrong call stays for the critic
            return {"ok": True, "problems": [], "phase": "complete", "subgoals": [], "steps": [], "next_action": None}
        if kind in (ReplyKind.ACTION.value, ReplyKind.RETRY.value):
            return BAD_REPLY  # unusable: after its retries it reaches the loop as an action error
        return {}


class _Mischief(VLMPlanner):
    """The VLM planner unchanged, showing its script each context it is asked to propose for."""

    def __init__(self, script: _Script):
        super().__init__(ScriptedModel(fallback=script.reply, name="scripted-vlm"), retries=1)
        self.script = script

    def reset(self, ctx: Context) -> None:
        super().reset(ctx)
        self.script.ctx, self.script.fresh = ctx, True

    def propose(self, ctx: Context) -> Proposal:
        self.script.ctx = ctx
        return super().propose(ctx)


def mischief() -> VLMPlanner:
    """The planner described above (a fresh model per call: the factory runs once per worker)."""
    return _Mischief(_Script())
