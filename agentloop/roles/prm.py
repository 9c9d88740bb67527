"""A learned critic: a process reward model, trained on the `prm` export with TRL's
stepwise-supervision trainer, scores a candidate action at the step before it runs.

It reads what the export's rows hold: the compact single-call prompt at the step (rendered by
`agentloop.prompts.messages`) and the candidate in the planner's JSON reply format. It accepts
when the score reaches the threshold; the score also ranks best-of-N candidates, and its
verdicts count toward the critic's measured accuracy against the validator.
"""

from __future__ import annotations

from agentloop.context import Context
from agentloop.models import Message, Model
from agentloop.models.prm import StepScore
from agentloop.prompts.messages import single_messages
from agentloop.prompts.replies import choice_of, reply_text
from agentloop.records import CallRole, Verdict, VerdictSource
from agentloop.roles.vlm_call import UnusableReply, call_json
from agentloop.skillset import BoundCall


def prm_messages(action: BoundCall, ctx: Context) -> list[Message]:
    """The prompt's turns, then the candidate as the assistant's reply: what the model scores."""
    step = reply_text(choice_of(action.call, ctx.skills))
    return [*single_messages(ctx, ctx.feedback, images=False), Message(role="assistant", content=step)]


class PRMCritic:
    """Accepts a candidate when the process reward model gives it at least `threshold`."""

    name = "prm"

    def __init__(self, model: Model, threshold: float = 0.5):
        self.model = model
        self.threshold = threshold

    def review(self, action: BoundCall, ctx: Context) -> Verdict:
        try:
            reply = call_json(self.model, CallRole.PRM, prm_messages(action, ctx), StepScore, ctx.model_calls,
                              retries=0)
        except UnusableReply as e:
            return Verdict(ok=True, source=VerdictSource.ERROR, reason=f"learned critic gave no score: {e.reason}")
        if reply.score >= self.threshold:
            return Verdict(ok=True, score=reply.score, source=VerdictSource.VLM,
                           reason=f"learned critic: this step works with p={reply.score:.2f}")
        return Verdict(ok=False, score=reply.score, source=VerdictSource.VLM,
                       reason=f"learned critic: this step works with p={reply.score:.2f} only",
                       suggestion="propose a different action")
