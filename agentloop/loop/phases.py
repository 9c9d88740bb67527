"""The phases of one episode: begin → perceive → decide → act → validate → perceive …

Each phase takes the episode's state and its dependencies and returns the next phase, or
`None` when the episode is over; every way out goes through `end`, and the step being made
is closed, counted and handed to the sink in one place (`close_step`).
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable, Mapping
from typing import Optional

from agentloop.calls import SkillCall
from agentloop.context import Context, HistoryItem, call_targets, seen_in
from agentloop.env import JudgesClaims
from agentloop.errors import ActionError, ErrorKind, ModelError, Role, one_line
from agentloop.loop.bookkeeping import close_step, give, guarded
from agentloop.loop.state import Deps, EpisodeState, StepState
from agentloop.records import (
    Candidate,
    Claim,
    Feedback,
    FeedbackSource,
    FinishStatus,
    Outcome,
    RewardComponents,
    StepRecord,
    Verdict,
    VerdictSource,
    now,
)
from agentloop.roles.validator import grounded
from agentloop.skillset import BoundCall

Phase = Callable[[EpisodeState, Deps], Optional["Phase"]]


def end(s: EpisodeState, d: Deps, outcome: Outcome, error: str | None = None) -> Phase | None:
    """The one way out: closes the step in the making, then sets the outcome. No phase follows."""
    if s.step is not None:
        close_step(s, d)
    s.outcome, s.error = outcome, error
    return None


def begin(s: EpisodeState, d: Deps) -> Phase | None:
    """Reset the env to the episode's seed and the planner to the new episode."""
    try:
        obs, info = d.env.reset(seed=d.spec.seed)
        s.ctx = Context.of(d.spec.env_id, obs, info, d.skillset, sampling_seed=d.spec.sampling_seed)
    except Exception as e:
        s.env_ok = False
        s.record.error_trace = "".join(traceback.format_exception(e))
        return end(s, d, Outcome.ERROR, f"env reset failed: {one_line(e)}")
    s.record.goal, s.record.max_steps = s.ctx.goal, d.limits.max_steps
    with guarded(Role.SINK):
        s.frame_ref = d.sink.frame(0, s.ctx.frame)
    with guarded(Role.PLANNER):
        d.roles.planner.reset(s.ctx)
    return perceive


def perceive(s: EpisodeState, d: Deps) -> Phase | None:
    """Open the next step on the current perception (and a human's word, if any)."""
    assert s.ctx is not None
    if s.index >= d.limits.max_steps:
        return end(s, d, Outcome.TRUNCATED)
    ctx = s.ctx
    ctx.step, ctx.max_steps, ctx.model_calls = s.index, d.limits.max_steps, []
    scene = ctx.scene
    s.step = StepState(record=StepRecord(
        episode_id=d.spec.episode_id, index=s.index, started_at=now(), ended_at=now(),
        frame=s.frame_ref, text_view=ctx.text, state_key=scene.state_key() if scene else None,
        scene_graph=scene.model_dump(mode="json") if scene is not None else None,
    ))
    with guarded(Role.HUMAN):
        text = d.human(ctx) if d.human is not None else None
    if text:
        s.step.record.human_feedback = text
        give(s, d, Feedback(source=FeedbackSource.HUMAN, message=text, step=s.index))
    return decide


def decide(s: EpisodeState, d: Deps) -> Phase | None:
    """Ask for candidates until the critic accepts one or the step's rejections run out."""
    assert s.ctx is not None and s.step is not None
    step = s.step
    try:
        for _ in range(d.limits.max_critic_rejections + 1):
            if _draw(s, d) or (step.verdict is None and step.record.candidates):
                break  # accepted, or every candidate was malformed
            v = step.verdict
            give(s, d, Feedback(source=FeedbackSource.CRITIC, step=s.index,
                                message=v.reason if v else "rejected", suggestion=v.suggestion if v else None))
    except ModelError as e:
        step.record.action_error, step.record.action_error_kind = f"model_error: {e}", ErrorKind.MODEL
        give(s, d, Feedback(source=FeedbackSource.MODEL_ERROR, message=str(e), step=s.index))
        return refused
    finally:  # what the model was asked is kept, whatever happened (a crashed role included)
        step.record.model_calls = list(s.ctx.model_calls)
    return act if step.chosen is not None else refused


def _draw(s: EpisodeState, d: Deps) -> bool:
    """Draw the step's candidates, bind them and let the critic judge; keep the best
    accepted one. Returns whether one was accepted."""
    assert s.ctx is not None and s.step is not None
    step, ctx = s.step, s.ctx
    best: tuple[float, BoundCall, Verdict, Candidate] | None = None
    step.verdict = None
    for i in range(d.limits.candidates):
        ctx.candidate = i
        t = time.perf_counter()
        with guarded(Role.PLANNER):
            proposal = d.roles.planner.propose(ctx)
        step.timed("propose", t)
        if proposal.plan is not None:
            step.record.plan, step.record.plan_reflected = proposal.plan, proposal.reflected
            ctx.plan = proposal.reflected or proposal.plan
        cand = Candidate(text=_call_text(proposal.action))
        step.record.candidates.append(cand)
        try:
            bound = d.skillset.bind(proposal.action)
        except ActionError as e:
            cand.action_error, cand.action_error_kind = str(e), e.kind
            continue
        cand.call = bound.call
        t = time.perf_counter()
        with guarded(Role.CRITIC):
            cand.verdict = step.verdict = d.roles.critic.review(bound, ctx)
        step.timed("critic", t)
        score = cand.verdict.score if cand.verdict.score is not None else 0.5
        if cand.verdict.ok and (best is None or score > best[0]):
            best = (score, bound, cand.verdict, cand)
    if best is None:
        return False
    best[3].executed = True
    step.chosen, step.verdict = best[1], best[2]
    return True


def _call_text(action: object) -> str:
    """A proposal as its call text, `skill(arg="v")`, however it was given (text, a `SkillCall`,
    a mapping); a mapping that is no call is kept as its JSON, anything else as its text."""
    if isinstance(action, Mapping):
        try:
            return str(SkillCall.parse(action))
        except ActionError:
            return json.dumps(dict(action), ensure_ascii=False, default=str)
    return str(action)


def refused(s: EpisodeState, d: Deps) -> Phase | None:
    """Nothing runs this step: every candidate was malformed or rejected, or the model failed."""
    assert s.ctx is not None and s.step is not None
    rec = s.step.record
    if rec.action_error is None and rec.candidates and all(c.action_error for c in rec.candidates):
        last = rec.candidates[-1]
        rec.action_error, rec.action_error_kind = last.action_error, last.action_error_kind
        give(s, d, Feedback(source=FeedbackSource.ACTION_ERROR, message=rec.action_error or "", step=s.index))
    elif rec.action_error is None:
        rec.critic = s.step.verdict
    v = s.step.verdict
    rec.rewards = RewardComponents(valid_action=rec.action_error is None, critic=v.score if v else None,
                                   progress=s.ctx.perception.progress)
    rec.progress = s.ctx.perception.progress
    s.ctx.history.append(HistoryItem(index=s.index, action=rec.candidates[-1].text if rec.candidates else "",
                                     action_error=rec.action_error or "rejected by critic"))
    close_step(s, d)
    return perceive


def _finish(s: EpisodeState, d: Deps) -> Phase | None:
    """The planner ends the episode (the `finish` skill): nothing runs in the env; its claim is
    recorded, and the env's own account as of now decides the outcome: its verdict on the claim
    where its task asks for an answer (or may be impossible), else its success."""
    assert s.ctx is not None and s.step is not None and s.step.chosen is not None
    step, ctx, chosen = s.step, s.ctx, s.step.chosen
    rec, p, v = step.record, ctx.perception, step.verdict
    args = chosen.args.model_dump()
    claim = s.record.claim = Claim(status=args["status"], answer=args.get("answer", ""), step=s.index)
    rec.action, rec.action_text, rec.critic = chosen.call, str(chosen.call), v
    env = d.env.unwrapped
    try:
        judged = env.judge_claim(claim) if isinstance(env, JudgesClaims) else None
    except Exception as e:
        s.record.error_trace = "".join(traceback.format_exception(e))
        return end(s, d, Outcome.ERROR, f"env failed judging the claim: {one_line(e)}")
    success, progress = (judged.success, judged.progress) if judged else (p.success, p.progress)
    rec.validator = _claim_verdict(claim, success, judged is not None)
    rec.rewards = RewardComponents(env=judged.reward if judged else 0.0, progress=progress,
                                   critic=v.score if v is not None else None,
                                   validator=float(rec.validator.ok) if rec.validator.judged else None)
    rec.success, rec.progress, rec.terminated = success, progress, True
    ctx.history.append(HistoryItem(index=s.index, action=str(chosen.call), seen=seen_in(ctx.scene)))
    return end(s, d, Outcome.SUCCESS if success else Outcome.FAILURE)


def _claim_verdict(claim: Claim, success: bool, env_judged: bool) -> Verdict:
    """A claim checked against the env's own account: its verdict on the claim where it gave
    one, else its success (a claim of done) or nothing (a claim of infeasible)."""
    if env_judged:
        return Verdict(ok=success, score=float(success),
                       reason=f"the env judges the claim ({claim.status.value}) {'right' if success else 'wrong'}")
    if claim.status is FinishStatus.DONE:
        return Verdict(ok=success, score=float(success),
                       reason="the env reports success" if success else "claimed done, but the env reports no success")
    return Verdict(ok=True, source=VerdictSource.NONE, reason="claimed infeasible: the env has no account to check")


def act(s: EpisodeState, d: Deps) -> Phase | None:
    """Run the chosen call in the env; `finish`, the loop's own skill, ends the episode instead."""
    assert s.ctx is not None and s.step is not None and s.step.chosen is not None
    step, chosen = s.step, s.step.chosen
    if chosen.skill.by_loop:
        return _finish(s, d)
    step.record.action, step.record.action_text, step.record.critic = chosen.call, str(chosen.call), step.verdict
    t = time.perf_counter()
    try:
        obs, reward, terminated, truncated, info = d.env.step(chosen.call)
        after = Context.of(d.spec.env_id, obs, info, d.skillset, step=s.index + 1, max_steps=s.ctx.max_steps,
                           history=s.ctx.history,
                           feedback=s.ctx.feedback, plan=s.ctx.plan, sampling_seed=s.ctx.sampling_seed)
    except Exception as e:
        step.timed("act", t)
        step.record.action_error = f"env crashed during {chosen.call}: {one_line(e)}"
        s.record.error_trace = "".join(traceback.format_exception(e))
        s.env_ok = False
        return end(s, d, Outcome.ERROR, step.record.action_error)
    step.timed("act", t)
    step.timings.update({f"env.{k}": float(v) for k, v in after.perception.timings.items()})
    step.after, step.terminated, step.truncated = after, bool(terminated), bool(truncated)
    with guarded(Role.SINK):
        s.frame_ref = step.record.frame_after = d.sink.frame(s.index + 1, after.frame)
    failure = after.perception.action_error
    if failure is not None:
        step.record.action_error, step.record.action_error_kind = str(failure), failure.kind
    step.record.rewards = after.perception.rewards.model_copy(update={"env": float(reward)})
    return validate


def validate(s: EpisodeState, d: Deps) -> Phase | None:
    """Check the step's effect, record its signals, and decide how the episode goes on."""
    assert s.ctx is not None and s.step is not None and s.step.after is not None
    step, before, after, rec, chosen = s.step, s.ctx, s.step.after, s.step.record, s.step.chosen
    assert chosen is not None
    t = time.perf_counter()
    try:
        with guarded(Role.VALIDATOR):
            check = grounded(d.roles.validator.check(chosen, before, after), before, after)
    except ModelError as e:
        check = Verdict(ok=True, reason=f"validator unavailable: {e}", source=VerdictSource.ERROR)
    step.timed("validate", t)
    rec.model_calls += after.model_calls
    rec.validator = check
    p, v = after.perception, step.verdict
    rec.rewards = rec.rewards.model_copy(update={
        "critic": v.score if v is not None else None,
        "validator": (1.0 if check.ok else 0.0) if check.source is not VerdictSource.NONE else None})
    rec.success, rec.progress, rec.env_info = p.success, p.progress, p.extra
    rec.terminated, rec.truncated = step.terminated, step.truncated
    before.history.append(HistoryItem(index=s.index, action=str(chosen.call), action_error=rec.action_error,
                                      validator=check, targets=call_targets(chosen.call, before.scene),
                                      seen=seen_in(before.scene)))
    s.ctx = after
    if not p.success:
        _feed_back(s, d, check)
    return _after_step(s, d)


def _feed_back(s: EpisodeState, d: Deps, check: Verdict) -> None:
    assert s.step is not None
    rec = s.step.record
    if not check.ok:
        rec.replanned = True
        give(s, d, Feedback(source=FeedbackSource.VALIDATOR, message=check.reason, step=s.index))
    elif rec.action_error:
        give(s, d, Feedback(source=FeedbackSource.ACTION_ERROR, message=rec.action_error, step=s.index))


def _after_step(s: EpisodeState, d: Deps) -> Phase | None:
    assert s.step is not None
    rec = s.step.record
    close_step(s, d)
    if rec.success:
        return end(s, d, Outcome.SUCCESS)
    if rec.terminated:
        return end(s, d, Outcome.FAILURE)
    if rec.truncated:
        return end(s, d, Outcome.TRUNCATED)
    if s.record.replans > d.limits.max_replans:
        return end(s, d, Outcome.FAILURE, f"gave up after {s.record.replans} replans")
    return perceive
