"""The loop's bookkeeping, in one place: feedback to the planner, and closing a step (its
label and timings, the sink, and every episode counter, all read off the step record)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from agentloop.errors import ErrorKind, ModelError, Role, RoleCrashed
from agentloop.loop.state import Deps, EpisodeState
from agentloop.records import CriticAgreement, Feedback, FeedbackSource, StepRecord, now


@contextmanager
def guarded(role: Role) -> Iterator[None]:
    """Charge whatever the code inside raises to `role`: the episode then ends as an error that
    names it (`EpisodeRun` does that, the same under every executor). A model's failure is no
    crash: the phases answer it themselves."""
    try:
        yield
    except (ModelError, RoleCrashed):
        raise
    except Exception as e:
        raise RoleCrashed(role, e) from e


def give(s: EpisodeState, d: Deps, fb: Feedback) -> None:
    """Feedback is recorded on the step, visible in the context and handed to the planner."""
    assert s.step is not None and s.ctx is not None
    s.step.record.feedback.append(fb)
    s.ctx.feedback.append(fb)
    with guarded(Role.PLANNER):
        d.roles.planner.feedback(fb, s.ctx)


def close_step(s: EpisodeState, d: Deps) -> None:
    """Finish the step in the making: label, timings, sink, counters; then the next index."""
    assert s.step is not None
    step, rec = s.step, s.step.record
    rec.ended_at = now()
    rec.label = rec.action is not None and rec.action_error is None and (
        rec.validator is None or not rec.validator.judged or rec.validator.ok)
    step.timings["total"] = time.perf_counter() - step.t0
    rec.timings = step.timings
    s.step = None  # closed once, even when the sink fails to keep it
    with guarded(Role.SINK):
        d.sink.step(rec)
    _count(s, rec)
    s.index += 1


def _count(s: EpisodeState, rec: StepRecord) -> None:
    ep = s.record
    ep.steps += 1
    ep.total_env_reward += rec.rewards.env
    rejections = sum(fb.source is FeedbackSource.CRITIC for fb in rec.feedback)
    ep.critic_rejections += rejections
    ep.replans += rec.replanned
    ep.validator_failures += rec.validator is not None and not rec.validator.ok
    ep.model_errors += rec.action_error_kind is ErrorKind.MODEL
    ep.action_errors += rec.action_error_kind not in (None, ErrorKind.MODEL)
    judged_critic = rec.critic is not None and rec.critic.judged
    judged_after = rec.validator is not None and rec.validator.judged
    ep.critic_agreement = ep.critic_agreement + CriticAgreement(
        accepted_passed=int(judged_critic and judged_after and rec.validator.ok),  # type: ignore[union-attr]
        accepted_failed=int(judged_critic and judged_after and not rec.validator.ok),  # type: ignore[union-attr]
        rejected=rejections if any(c.verdict is not None and c.verdict.judged for c in rec.candidates) else 0,
    )
