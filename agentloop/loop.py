"""One episode of the closed loop: perceive → plan → reflect → critique → act → validate.

A critic rejection goes back to the planner with its suggestion (bounded per step); a
validator failure triggers replanning (bounded per episode); a malformed or ungroundable
action is a recorded step with a readable error; an env that raises ends the episode as
`error`. Every branch lands in the step record with its phase timings.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import gymnasium as gym

from agentloop.env import InfoKeys
from agentloop.errors import ActionError, ModelError
from agentloop.records import (
    Candidate, EpisodeRecord, Feedback, Outcome, RewardComponents, StepRecord, Verdict, now,
)
from agentloop.roles.context import Context, HistoryItem, call_targets
from agentloop.roles.critic import Critic, NoCritic
from agentloop.roles.planner import Planner
from agentloop.roles.validator import NoValidator, Validator
from agentloop.scene import SceneGraph
from agentloop.skills import BoundCall, SkillCall, SkillSet, SkillSpec

HumanInput = Callable[[Context], "str | None"]


@dataclass
class Roles:
    planner: Planner
    critic: Critic = field(default_factory=NoCritic)
    validator: Validator = field(default_factory=NoValidator)


@dataclass
class LoopLimits:
    max_steps: int = 30
    max_critic_rejections: int = 3
    max_replans: int = 20
    candidates: int = 1


@dataclass
class EpisodeSpec:
    """Which episode to run: the env, its task seed and the rollout index within a group."""

    env_id: str
    seed: int
    rollout: int = 0

    @property
    def task(self) -> str:
        return self.env_id.split("/", 1)[-1]

    @property
    def episode_id(self) -> str:
        safe = self.task.replace("/", "_").replace(":", "_")
        return f"{safe}__s{self.seed:05d}__r{self.rollout:02d}"


class EpisodeSink:
    """Where the loop puts what it records. The default keeps nothing (recording off)."""

    def frame(self, index: int, frame: Any, tag: str = "") -> str | None:
        return None

    def step(self, record: StepRecord) -> None:
        pass


@dataclass
class EpisodeResult:
    record: EpisodeRecord
    env_ok: bool = True  # False: the env raised and must be rebuilt before the next episode


def _scene(info: dict[str, Any]) -> SceneGraph | None:
    sg = info.get(InfoKeys.SCENE_GRAPH)
    if sg is None or isinstance(sg, SceneGraph):
        return sg
    if isinstance(sg, dict):
        return SceneGraph.model_validate(sg)
    return None


def _skillset(env: gym.Env) -> SkillSet | None:
    ss = getattr(env.unwrapped, "skillset", None)
    return ss if isinstance(ss, SkillSet) else None


def _json_safe_info(info: dict[str, Any]) -> dict[str, Any]:
    keep = {}
    skip = {InfoKeys.SCENE_GRAPH, InfoKeys.SKILLS, InfoKeys.GOAL, InfoKeys.SUCCESS,
            InfoKeys.PROGRESS, InfoKeys.ACTION_ERROR, InfoKeys.REWARD_COMPONENTS, InfoKeys.TIMINGS}
    for k, v in info.items():
        if k in skip:
            continue
        if isinstance(v, (str, int, float, bool)) or v is None:
            keep[k] = v
        elif isinstance(v, (list, dict)) and len(str(v)) < 2000:
            keep[k] = v
    return keep


class _FreeCall:
    """Stands in for a skill when the env has no skill vocabulary (a plain Gymnasium env)."""

    irreversible = False
    name = "action"

    def precondition(self, scene: SceneGraph, args: Any) -> str | None:
        return None

    def expected_effect(self, scene: SceneGraph, args: Any) -> list:
        from agentloop.skills import changed

        return [changed()]


def _bind(action: Any, skillset: SkillSet | None, specs: list[SkillSpec]) -> BoundCall:
    if skillset is not None:
        return skillset.bind(action)
    # A plain Gymnasium env: its own action type passes through untouched (an int for a
    # Discrete space, an array for a Box); `act(action=...)` carries one as text; any
    # other text goes to the env as it is (a Text action space).
    if not isinstance(action, (str, SkillCall, dict)):
        value = action.tolist() if hasattr(action, "tolist") else action
        return BoundCall(call=SkillCall(name="act", args={"action": value}), skill=_FreeCall(), args={}, env_action=action)
    call = SkillCall.parse(action, specs or None)
    env_action = call.args["action"] if call.name == "act" and set(call.args) == {"action"} else (
        action if isinstance(action, str) else str(call))
    return BoundCall(call=call, skill=_FreeCall(), args=call.args, env_action=env_action)


def run_episode(
    env: gym.Env,
    spec: EpisodeSpec,
    roles: Roles,
    limits: LoopLimits | None = None,
    sink: EpisodeSink | None = None,
    human: HumanInput | None = None,
) -> EpisodeResult:
    """Run one episode to success, termination, truncation, the step limit or an error."""
    limits = limits or LoopLimits()
    sink = sink or EpisodeSink()
    started = now()
    rec = EpisodeRecord(
        episode_id=spec.episode_id, env_id=spec.env_id, task=spec.task, seed=spec.seed,
        rollout=spec.rollout, outcome="error", success=False, started_at=started, ended_at=started,
        planner=getattr(roles.planner, "name", type(roles.planner).__name__),
        critic=getattr(roles.critic, "name", type(roles.critic).__name__),
        validator=getattr(roles.validator, "name", type(roles.validator).__name__),
    )
    agreement = {"accept_ok": 0, "accept_fail": 0, "reject": 0}
    env_ok = True
    try:
        obs, info = env.reset(seed=spec.seed)
    except Exception as e:
        return _finish(rec, "error", f"env reset failed: {e!r}", agreement, False)
    skillset = _skillset(env)
    specs = list(info.get(InfoKeys.SKILLS) or (skillset.specs() if skillset else []))
    goal = str(info.get(InfoKeys.GOAL, "") or "")
    rec.goal = goal
    ctx = Context(
        env_id=spec.env_id, goal=goal, skills=specs, skillset=skillset, scene=_scene(info),
        observation=obs, info=info,
    )
    outcome: Outcome = "truncated"
    error: str | None = None
    need_plan = True
    frame_ref = sink.frame(0, ctx.frame)
    try:
        roles.planner.reset(ctx)
    except Exception as e:
        return _finish(rec, "error", f"planner reset failed: {e!r}", agreement, True)

    for index in range(limits.max_steps):
        t_step = time.perf_counter()
        timings: dict[str, float] = {}
        ctx.step = index
        ctx.model_calls = []
        step = StepRecord(
            episode_id=spec.episode_id, index=index, started_at=now(), ended_at=now(),
            frame=frame_ref, text_view=ctx.text,
            state_key=ctx.scene.state_key() if ctx.scene is not None else None,
        )
        if ctx.scene is not None:  # set, not validated: validation would copy a SceneData to a dict
            step.scene_graph = ctx.scene.json_data()
        step.human_feedback = _ask_human(human, ctx, roles.planner, step)

        # ---- plan & reflect ------------------------------------------------------------
        chosen: BoundCall | None = None
        verdict: Verdict | None = None
        try:
            for attempt in range(limits.max_critic_rejections + 1):
                if need_plan or attempt > 0:
                    t = time.perf_counter()
                    plan = roles.planner.plan(ctx)
                    timings["plan"] = timings.get("plan", 0.0) + time.perf_counter() - t
                    t = time.perf_counter()
                    reflected = roles.planner.reflect(plan, ctx)
                    timings["reflect"] = timings.get("reflect", 0.0) + time.perf_counter() - t
                    step.plan, step.plan_reflected = plan, reflected
                    ctx.plan = reflected
                    need_plan = False
                chosen, verdict, fatal = _propose(ctx, roles, limits, step, specs, timings)
                if chosen is not None or fatal:
                    break
                rec.critic_rejections += 1
                agreement["reject"] += 1
                fb = Feedback(
                    source="critic", step=index,
                    message=verdict.reason if verdict else "rejected",
                    suggestion=verdict.suggestion if verdict else None,
                )
                _give(fb, ctx, step, roles.planner)
        except ModelError as e:
            step.action_error = f"model_error: {e}"
            step.rewards = RewardComponents(valid_action=False)
            fb = Feedback(source="model_error", message=str(e), step=index)
            _give(fb, ctx, step, roles.planner)
        except Exception as e:
            error = f"planner failed: {e!r}"
            outcome = "error"
            _close_step(step, ctx, timings, t_step, sink)
            rec.steps += 1
            break

        step.model_calls = list(ctx.model_calls)
        if chosen is None:
            # Nothing runs this step: every candidate was malformed or rejected.
            if step.action_error is None:
                if step.candidates and all(c.action_error for c in step.candidates):
                    step.action_error = step.candidates[-1].action_error
                    rec.action_errors += 1
                    fb = Feedback(source="action_error", message=step.action_error or "", step=index)
                    _give(fb, ctx, step, roles.planner)
                    need_plan = True
                elif verdict is not None:
                    step.critic = verdict
            step.rewards = RewardComponents(
                valid_action=step.action_error is None,
                critic=verdict.score if verdict is not None else None,
            )
            ctx.history.append(HistoryItem(index=index, action=step.candidates[-1].text if step.candidates else "", action_error=step.action_error or "rejected by critic"))
            _close_step(step, ctx, timings, t_step, sink)
            rec.steps += 1
            rec.step_rewards.append(0.0)
            rec.step_progress.append(ctx.info.get(InfoKeys.PROGRESS))
            rec.step_times.append(time.perf_counter() - t_step)
            continue

        # ---- act -------------------------------------------------------------------------
        step.action, step.action_text, step.critic = chosen.call, str(chosen.call), verdict
        before = ctx
        t = time.perf_counter()
        try:
            obs, reward, terminated, truncated, info = env.step(
                chosen.call if chosen.env_action is None else chosen.env_action)
        except Exception as e:
            timings["act"] = time.perf_counter() - t
            error = f"env crashed during {chosen.call}: {e!r}"
            step.action_error = error
            outcome, env_ok = "error", False
            _close_step(step, ctx, timings, t_step, sink)
            rec.steps += 1
            break
        timings["act"] = time.perf_counter() - t
        for k, v in (info.get(InfoKeys.TIMINGS) or {}).items():
            timings[f"env.{k}"] = float(v)
        after = Context(
            env_id=spec.env_id, goal=goal, skills=list(info.get(InfoKeys.SKILLS) or specs),
            skillset=skillset, scene=_scene(info), observation=obs, info=info, step=index + 1,
            history=ctx.history, feedback=ctx.feedback, plan=ctx.plan,
        )
        frame_ref = sink.frame(index + 1, after.frame)
        step.frame_after = frame_ref
        env_error = info.get(InfoKeys.ACTION_ERROR)
        step.action_error = env_error
        if env_error:
            rec.action_errors += 1

        # ---- validate --------------------------------------------------------------------
        t = time.perf_counter()
        after.model_calls = []
        try:
            check = roles.validator.check(chosen, before, after)
        except ModelError as e:
            check = Verdict(ok=True, score=None, reason=f"validator unavailable: {e}", source="error")
        timings["validate"] = time.perf_counter() - t
        step.model_calls += after.model_calls
        step.validator = check
        if verdict is not None and verdict.source not in ("none",) and check.source != "none":
            agreement["accept_ok" if check.ok else "accept_fail"] += 1
        rc = info.get(InfoKeys.REWARD_COMPONENTS) or {}
        step.rewards = RewardComponents(
            env=float(reward), progress=info.get(InfoKeys.PROGRESS),
            valid_action=bool(rc.get("valid_action", not env_error)),
            critic=verdict.score if verdict is not None else None,
            validator=None if check.source == "none" else (1.0 if check.ok else 0.0),
        )
        step.success = bool(info.get(InfoKeys.SUCCESS, False))
        step.progress = info.get(InfoKeys.PROGRESS)
        step.terminated, step.truncated = bool(terminated), bool(truncated)
        step.env_info = _json_safe_info(info)
        ctx.history.append(HistoryItem(
            index=index, action=str(chosen.call), action_error=env_error, validator=check,
            targets=call_targets(chosen.call, before.scene),
        ))
        rec.steps += 1
        rec.total_env_reward += float(reward)
        rec.step_rewards.append(float(reward))
        rec.step_progress.append(step.progress)

        ctx = after
        if step.success:
            outcome = "success"
        elif not check.ok:
            rec.validator_failures += 1
            fb = Feedback(source="validator", message=check.reason, step=index)
            step.replanned = True
            _give(fb, ctx, step, roles.planner)
            need_plan = True
            rec.replans += 1
        elif env_error:
            fb = Feedback(source="action_error", message=env_error, step=index)
            _give(fb, ctx, step, roles.planner)
            need_plan = True
        _close_step(step, ctx, timings, t_step, sink)
        rec.step_times.append(time.perf_counter() - t_step)
        if step.success:
            break
        if terminated:
            outcome = "failure"
            break
        if truncated:
            outcome = "truncated"
            break
        if rec.replans > limits.max_replans:
            outcome, error = "failure", f"gave up after {rec.replans} replans"
            break
    rec.final_progress = ctx.info.get(InfoKeys.PROGRESS) if ctx.info else None
    return _finish(rec, outcome, error, agreement, env_ok)


def _propose(
    ctx: Context, roles: Roles, limits: LoopLimits, step: StepRecord, specs: list[SkillSpec],
    timings: dict[str, float],
) -> tuple[BoundCall | None, Verdict | None, bool]:
    """Draw candidates, bind them and let the critic judge. Returns the best accepted call,
    the deciding verdict, and whether to stop trying this step (all candidates malformed)."""
    best: tuple[float, BoundCall, Verdict, Candidate] | None = None
    last_verdict: Verdict | None = None
    bound_any = False
    for _ in range(limits.candidates):
        t = time.perf_counter()
        raw = roles.planner.next_action(ctx)
        timings["next_action"] = timings.get("next_action", 0.0) + time.perf_counter() - t
        text = str(raw)
        cand = Candidate(text=text)
        step.candidates.append(cand)
        try:
            bound = _bind(raw, ctx.skillset, specs)
        except ActionError as e:
            cand.action_error = str(e)
            continue
        bound_any = True
        cand.call = bound.call
        t = time.perf_counter()
        v = roles.critic.review(bound, ctx)
        timings["critic"] = timings.get("critic", 0.0) + time.perf_counter() - t
        cand.verdict = v
        last_verdict = v
        if v.ok:
            score = v.score if v.score is not None else 0.5
            if best is None or score > best[0]:
                best = (score, bound, v, cand)
    if best is None:
        return None, last_verdict, not bound_any
    best[3].executed = True
    return best[1], best[2], False


def _ask_human(human: HumanInput | None, ctx: Context, planner: Planner, step: StepRecord) -> str | None:
    if human is None:
        return None
    text = human(ctx)
    if text:
        fb = Feedback(source="human", message=text, step=ctx.step)
        _give(fb, ctx, step, planner)
        return text
    return None


def _close_step(step: StepRecord, ctx: Context, timings: dict[str, float], t0: float, sink: EpisodeSink) -> None:
    step.ended_at = now()
    if step.action is None:
        step.label = False
    else:
        step.label = step.action_error is None and (step.validator is None or step.validator.source == "none" or step.validator.ok)
    timings["total"] = time.perf_counter() - t0
    step.timings = timings
    sink.step(step)


def _give(fb: Feedback, ctx: Context, step: StepRecord, planner: Planner) -> None:
    """Feedback is recorded on the step, visible in the context and handed to the planner."""
    step.feedback.append(fb)
    ctx.feedback.append(fb)
    planner.replan(fb, ctx)


def _finish(rec: EpisodeRecord, outcome: Outcome, error: str | None, agreement: dict[str, int], env_ok: bool) -> EpisodeResult:
    rec.outcome = outcome
    rec.success = outcome == "success"
    rec.error = error
    rec.critic_agreement = agreement
    rec.ended_at = now()
    rec.duration_s = (rec.ended_at - rec.started_at).total_seconds()
    return EpisodeResult(record=rec, env_ok=env_ok)
