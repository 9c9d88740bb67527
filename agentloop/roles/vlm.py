"""Model-based roles: the dual-stage VLM planner (ExploreVLM), the pre-operative VLM critic
(GUI-Critic-R1), the VLM execution validator, and chains that put the rule-based roles first.

Every model call lands in `ctx.model_calls` (prompt with image references, raw reply, parsed
result, latency, tokens, log-probabilities when given). A reply that cannot be used is recorded
and fed back to the model for a bounded number of retries; if it stays unusable the planner
hands the loop its raw text, which the loop records as an action error and feeds back again.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel

from agentloop.calls import SkillCall
from agentloop.errors import ActionError, ErrorKind
from agentloop.models import Message, Model
from agentloop.prompts import render
from agentloop.records import Feedback, Plan, Verdict, VerdictSource
from agentloop.roles.context import Context
from agentloop.roles.critic import Critic, PreconditionCritic, is_irreversible
from agentloop.roles.planner import Proposal
from agentloop.roles.validator import EffectValidator, Validator
from agentloop.roles.vlm_call import Check, call_json, system_message, user_message
from agentloop.roles.vlm_schemas import ActionChoice, CriticReply, PlanReply, ReflectReply, ValidatorReply
from agentloop.scene import SceneGraph
from agentloop.skillset import BoundCall

# Argument names whose values name a perceived node; reflection checks they are in the scene.
_REFERENCE_ARGS = ("object", "target", "container", "cover", "at", "element", "node")
_EMBODIMENT = {"robot": "simulated robot tabletop", "web": "web browser", "miniwob": "web browser",
               "android": "Android phone"}


def _embodiment(ctx: Context) -> str:
    family = ctx.env_id.split("/", 1)[-1].split(".", 1)[0]
    return _EMBODIMENT.get(family, "environment")


def _context_values(ctx: Context, feedback: list[Feedback] | None = None, history: int = 8) -> dict[str, object]:
    """What `_context.j2` shows: goal, skills, scene, recent history and feedback."""
    return {
        "goal": ctx.goal, "skills": ctx.skills, "step": ctx.step,
        "scene_text": ctx.scene.to_text() if ctx.scene is not None else (ctx.text or ""),
        "history": ctx.history[-history:],
        "feedback": (feedback if feedback is not None else ctx.feedback)[-6:],
    }


def _frames(*contexts: Context) -> list[tuple[np.ndarray | None, str]]:
    return [(c.frame, f"frame:step{c.step}") for c in contexts]


def _call_text(choice: ActionChoice) -> str:
    return str(SkillCall(name=choice.skill, args=choice.args))


def _ground(choice: ActionChoice, ctx: Context) -> str | None:
    """Unknown skill or wrong argument types, checked with the env's own vocabulary."""
    if ctx.skillset is not None:
        try:
            ctx.skillset.bind(SkillCall(name=choice.skill, args=choice.args))
        except ActionError as e:
            return str(e)
        return None
    names = {s.name for s in ctx.skills}
    if names and choice.skill not in names:
        return str(ActionError(ErrorKind.UNKNOWN_SKILL, f"{choice.skill!r} is not one of {sorted(names)}"))
    return None


def _unseen(choice: ActionChoice, scene: SceneGraph | None) -> list[str]:
    if scene is None:
        return []
    known = {n.id for n in scene.nodes} | {n.name for n in scene.nodes if n.name} | {"table"}
    return [f"{k}={v!r} is not in the scene graph" for k, v in choice.args.items()
            if k in _REFERENCE_ARGS and isinstance(v, str) and v not in known]


def _with_first(steps: list[str], committed: str | None) -> list[str]:
    """The plan's upcoming calls, led by the committed one."""
    if committed and (not steps or steps[0] != committed):
        return [committed, *steps]
    return steps


class VLMPlanner:
    """Plans in two stages whenever there is something new to plan for (the episode's start,
    or feedback since the last plan): stage one proposes a plan (phase, subgoals, next calls),
    stage two reflects on it against the scene graph and commits the next call. Otherwise it
    asks the model for the next call. Feedback from the critic, the validator, action errors
    and a human is kept and shown in every later prompt. Another best-of-N draw at the same
    step (`ctx.candidate` > 0) samples with `sample_temperature`, so candidates differ."""

    name = "vlm"

    def __init__(self, model: Model, retries: int = 2, temperature: float = 0.0,
                 sample_temperature: float = 0.8, max_tokens: int = 512):
        self.model = model
        self.retries = retries
        self.temperature = temperature
        self.sample_temperature = sample_temperature
        self.max_tokens = max_tokens
        self.received: list[Feedback] = []
        self._stale = True  # something new to plan for
        self._committed: str | None = None  # the call the last plan committed to, as text

    def reset(self, ctx: Context) -> None:
        self.received = []
        self._stale = True
        self._committed = None

    def propose(self, ctx: Context) -> Proposal:
        if not self._stale:
            return Proposal(action=self._next_action(ctx, ctx.plan))
        self._stale = False
        plan = self._plan(ctx)
        reflected = self._reflect(plan, ctx)
        committed, self._committed = self._committed, None
        return Proposal(action=committed or self._next_action(ctx, reflected), plan=plan, reflected=reflected)

    def feedback(self, feedback: Feedback, ctx: Context) -> None:
        self.received.append(feedback)
        # The committed call was judged against an older state or was refused: plan afresh.
        self._stale = True
        self._committed = None

    def _messages(self, ctx: Context, template: str, **extra: object) -> list[Message]:
        text = render(template, **_context_values(ctx, self.received), **extra)
        return [system_message("planner", _embodiment(ctx)), user_message(text, _frames(ctx))]

    def _check(self, ctx: Context) -> Check:
        def check(reply: BaseModel) -> str | None:
            choice = reply if isinstance(reply, ActionChoice) else getattr(reply, "next_action", None)
            return _ground(choice, ctx) if isinstance(choice, ActionChoice) else None
        return check

    def _plan(self, ctx: Context) -> Plan:
        """Stage one: a plan, and the call it starts with (committed until reflection)."""
        reply, error = call_json(
            self.model, "planner", self._messages(ctx, "plan.j2"), PlanReply, ctx.model_calls,
            retries=self.retries, check=self._check(ctx), temperature=self.temperature, max_tokens=self.max_tokens)
        if reply is None:
            self._committed = None
            return Plan(subgoals=[ctx.goal], phase="explore", rationale=f"no usable plan from the model: {error}")
        self._committed = _call_text(reply.next_action) if reply.next_action else None
        return Plan(subgoals=reply.subgoals, steps=_with_first(list(reply.steps), self._committed),
                    phase=reply.phase, rationale=reply.rationale)

    def _reflect(self, plan: Plan, ctx: Context) -> Plan:
        """Stage two: the plan checked against the scene (with what the rules found) and fixed."""
        problems = self._problems(ctx)
        reply, error = call_json(
            self.model, "reflect",
            self._messages(ctx, "reflect.j2", plan=plan, next_action=self._committed, problems=problems),
            ReflectReply, ctx.model_calls, retries=self.retries, check=self._check(ctx),
            temperature=self.temperature, max_tokens=self.max_tokens)
        if reply is None:
            notes = f"reflection unusable ({error}); keeping the proposal"
            return plan.model_copy(update={"reflection": "; ".join([*problems, notes])})
        if reply.next_action is not None:
            self._committed = _call_text(reply.next_action)
        steps = _with_first(list(reply.steps) or list(plan.steps), self._committed)
        found = list(dict.fromkeys(problems + reply.problems))
        return Plan(subgoals=reply.subgoals or plan.subgoals, steps=steps, phase=reply.phase,
                    rationale=plan.rationale, reflection="; ".join(found) if found else "plan holds")

    def _problems(self, ctx: Context) -> list[str]:
        """What the rules can see wrong with the committed call: unseen objects, unmet preconditions."""
        if not self._committed:
            return ["no next action was proposed"]
        try:
            call = SkillCall.parse(self._committed, ctx.skills or None)
        except ActionError as e:
            return [str(e)]
        out = _unseen(ActionChoice(skill=call.name, args=call.args), ctx.scene)
        if ctx.skillset is not None and ctx.scene is not None:
            try:
                bound = ctx.skillset.bind(call)
                problem = bound.skill.precondition(ctx.scene, bound.args)
                if problem:
                    out.append(f"precondition of {call} does not hold: {problem}")
            except Exception as e:  # a broken precondition is reported, not raised
                out.append(f"cannot check {call}: {e}")
        return out

    def _next_action(self, ctx: Context, plan: Plan | None) -> str:
        """The next call as text; an unusable reply is handed on raw, for the loop to record
        as an action error and feed back."""
        temperature = self.sample_temperature if ctx.candidate > 0 else self.temperature
        calls_before = len(ctx.model_calls)
        reply, error = call_json(
            self.model, "planner.action", self._messages(ctx, "action.j2", plan=plan), ActionChoice,
            ctx.model_calls, retries=self.retries, check=self._check(ctx), temperature=temperature,
            max_tokens=self.max_tokens)
        if reply is not None:
            return _call_text(reply)
        raw = ctx.model_calls[-1].raw if len(ctx.model_calls) > calls_before else ""
        return raw or f"(unusable model reply: {error})"


class VLMCritic:
    """Predicts an action's outcome before it runs; accepts or rejects with a score and a suggestion."""

    name = "vlm"

    def __init__(self, model: Model, retries: int = 1, max_tokens: int = 256):
        self.model = model
        self.retries = retries
        self.max_tokens = max_tokens

    def review(self, action: BoundCall, ctx: Context) -> Verdict:
        skill = next((s for s in ctx.skills if s.name == action.call.name), None)
        irreversible = is_irreversible(action, ctx)
        text = render("critic.j2", **_context_values(ctx), action=str(action.call),
                      irreversible=irreversible, skill_description=skill.description if skill else "")
        messages = [system_message("critic", _embodiment(ctx)), user_message(text, _frames(ctx))]
        reply, error = call_json(self.model, "critic", messages, CriticReply, ctx.model_calls,
                                 retries=self.retries, temperature=0.0, max_tokens=self.max_tokens)
        if reply is None:
            if irreversible:  # no usable judgement: an irreversible action does not run on a guess
                return Verdict(ok=False, source=VerdictSource.RULE,
                               reason=f"critic reply unusable ({error}) and the action is irreversible",
                               suggestion="re-check the state before an irreversible action")
            return Verdict(ok=True, source=VerdictSource.ERROR, reason=f"critic reply unusable: {error}")
        return Verdict(ok=reply.accept, score=reply.score, reason=reply.reason, source=VerdictSource.VLM,
                       suggestion=reply.suggestion, predicted_outcome=reply.predicted_outcome)


class ChainedCritic:
    """Rule critic first (cheap, exact); the VLM critic judges what the rules let through."""

    name = "rule+vlm"

    def __init__(self, rule: Critic | None = None, vlm: Critic | None = None):
        self.rule = rule or PreconditionCritic()
        self.vlm = vlm

    def review(self, action: BoundCall, ctx: Context) -> Verdict:
        v = self.rule.review(action, ctx)
        if not v.ok or self.vlm is None:
            return v
        return self.vlm.review(action, ctx)


class VLMValidator:
    """Compares before and after (frames and scene-graph diff) with the action's intent."""

    name = "vlm"

    def __init__(self, model: Model, retries: int = 1, max_tokens: int = 256):
        self.model = model
        self.retries = retries
        self.max_tokens = max_tokens

    def check(self, action: BoundCall, before: Context, after: Context) -> Verdict:
        skill = next((s for s in before.skills if s.name == action.call.name), None)
        failure = after.perception.action_error
        text = render("validator.j2", goal=before.goal, action=str(action.call),
                      intent=skill.description if skill else str(action.call), expected=_expected(action, before),
                      before_text=before.scene.to_text() if before.scene is not None else before.text,
                      diff_text=_diff_text(before, after), env_error=str(failure) if failure else None)
        messages = [system_message("validator", _embodiment(before)), user_message(text, _frames(before, after))]
        reply, error = call_json(self.model, "validator", messages, ValidatorReply, after.model_calls,
                                 retries=self.retries, temperature=0.0, max_tokens=self.max_tokens)
        if reply is None:
            return Verdict(ok=True, source=VerdictSource.ERROR, reason=f"validator reply unusable: {error}")
        return Verdict(ok=reply.ok, score=1.0 if reply.ok else 0.0, reason=reply.reason, source=VerdictSource.VLM)


def _expected(action: BoundCall, before: Context) -> list[str]:
    if before.scene is None:
        return []
    try:
        return [str(e) for e in action.skill.expected_effect(before.scene, action.args)]
    except Exception:  # a broken effect declaration leaves the model to judge unaided
        return []


def _diff_text(before: Context, after: Context) -> str:
    if before.scene is None or after.scene is None:
        return ""
    return SceneGraph.diff(before.scene, after.scene).to_text() or "(nothing changed)"


class ChainedValidator:
    """With a scene graph the rule validator decides first and the VLM confirms a pass;
    without one the VLM validator is used alone."""

    name = "rule+vlm"

    def __init__(self, rule: Validator | None = None, vlm: Validator | None = None):
        self.rule = rule or EffectValidator()
        self.vlm = vlm

    def check(self, action: BoundCall, before: Context, after: Context) -> Verdict:
        if self.vlm is not None and (before.scene is None or after.scene is None):
            return self.vlm.check(action, before, after)
        v = self.rule.check(action, before, after)
        if not v.ok or self.vlm is None:
            return v
        m = self.vlm.check(action, before, after)
        if not m.judged:
            return v.model_copy(update={"reason": f"{v.reason}; model gave no judgement: {m.reason}"})
        if m.ok:
            return v.model_copy(update={"reason": f"{v.reason}; model agrees: {m.reason}"})
        return m
