"""Model-based roles: the dual-stage VLM planner (ExploreVLM), the pre-operative VLM critic
(GUI-Critic-R1), the VLM execution validator, and chains that put the rule-based roles first.

Every model call lands in `ctx.model_calls` (prompt with image references, raw reply, parsed
result, latency, tokens, log-probabilities when given). A reply that cannot be used is recorded
and fed back to the model for a bounded number of retries; if it stays unusable the planner
hands the loop its raw text, which the loop records as an action error and feeds back again.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from agentloop.errors import ActionError
from agentloop.prompts import render
from agentloop.records import Feedback, Plan, Verdict
from agentloop.roles.context import Context
from agentloop.roles.critic import Critic, PreconditionCritic, is_irreversible
from agentloop.roles.validator import EffectValidator, Validator
from agentloop.roles.vlm_call import call_json, system_message, user_message
from agentloop.roles.vlm_schemas import ActionChoice, CriticReply, PlanReply, ReflectReply, ValidatorReply
from agentloop.scene import SceneGraph
from agentloop.skills import BoundCall, SkillCall

# Argument names whose values name a perceived node; reflection checks they are in the scene.
_REFERENCE_ARGS = ("object", "target", "container", "cover", "at", "element", "node")
_EMBODIMENT = {"robot": "simulated robot tabletop", "web": "web browser", "miniwob": "web browser",
               "android": "Android phone"}


def _embodiment(ctx: Context) -> str:
    family = ctx.env_id.split("/", 1)[-1].split(".", 1)[0]
    return _EMBODIMENT.get(family, "environment")


def _context_values(ctx: Context, feedback: list[Feedback] | None = None, history: int = 8) -> dict[str, Any]:
    return dict(
        goal=ctx.goal, skills=ctx.skills, step=ctx.step,
        scene_text=ctx.scene.to_text() if ctx.scene is not None else (ctx.text or ""),
        history=ctx.history[-history:], feedback=(feedback if feedback is not None else ctx.feedback)[-6:],
    )


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
        return f"unknown_skill: {choice.skill!r} is not one of {sorted(names)}"
    return None


def _unseen(choice: ActionChoice, scene: SceneGraph | None) -> list[str]:
    if scene is None:
        return []
    known = {n.id for n in scene.nodes} | {n.name for n in scene.nodes if n.name} | {"table"}
    return [f"{k}={v!r} is not in the scene graph" for k, v in choice.args.items()
            if k in _REFERENCE_ARGS and isinstance(v, str) and v not in known]


class VLMPlanner:
    """Stage one proposes a plan (phase, subgoals, next calls); stage two reflects on it against
    the scene graph and commits. Feedback from the critic, the validator, action errors and a
    human is kept and shown in the next prompts. A second `next_action` in the same step (best-of-N)
    samples with `sample_temperature` so candidates differ."""

    name = "vlm"

    def __init__(self, model: Any, retries: int = 2, temperature: float = 0.0,
                 sample_temperature: float = 0.8, max_tokens: int = 512):
        self.model = model
        self.retries = retries
        self.temperature = temperature
        self.sample_temperature = sample_temperature
        self.max_tokens = max_tokens
        self.feedback: list[Feedback] = []
        self._committed: str | None = None
        self._drawn_at: int | None = None

    def reset(self, ctx: Context) -> None:
        self.feedback = []
        self._committed = None
        self._drawn_at = None

    def _messages(self, ctx: Context, template: str, **extra: Any):
        text = render(template, **_context_values(ctx, self.feedback), **extra)
        return [system_message("planner", _embodiment(ctx)),
                user_message(text, [(ctx.frame, f"frame:step{ctx.step}")])]

    def _check(self, ctx: Context):
        def check(reply: BaseModel) -> str | None:
            choice = getattr(reply, "next_action", reply)
            if isinstance(choice, ActionChoice):
                return _ground(choice, ctx)
            return None
        return check

    def plan(self, ctx: Context) -> Plan:
        reply, error = call_json(
            self.model, "planner", self._messages(ctx, "plan.j2"), PlanReply, ctx.model_calls,
            retries=self.retries, check=self._check(ctx), temperature=self.temperature, max_tokens=self.max_tokens)
        if reply is None:
            self._committed = None
            return Plan(subgoals=[ctx.goal], phase="explore", rationale=f"no usable plan from the model: {error}")
        assert isinstance(reply, PlanReply)
        steps = list(reply.steps)
        self._committed = _call_text(reply.next_action) if reply.next_action else None
        if self._committed and (not steps or steps[0] != self._committed):
            steps.insert(0, self._committed)
        return Plan(subgoals=reply.subgoals, steps=steps, phase=reply.phase, rationale=reply.rationale)

    def reflect(self, plan: Plan, ctx: Context) -> Plan:
        problems = self._problems(ctx)
        reply, error = call_json(
            self.model, "reflect",
            self._messages(ctx, "reflect.j2", plan=plan, next_action=self._committed, problems=problems),
            ReflectReply, ctx.model_calls, retries=self.retries, check=self._check(ctx),
            temperature=self.temperature, max_tokens=self.max_tokens)
        if reply is None:
            notes = f"reflection unusable ({error}); keeping the proposal"
            return plan.model_copy(update={"reflection": "; ".join(problems + [notes])})
        assert isinstance(reply, ReflectReply)
        if reply.next_action is not None:
            self._committed = _call_text(reply.next_action)
        steps = list(reply.steps) or list(plan.steps)
        if self._committed and (not steps or steps[0] != self._committed):
            steps.insert(0, self._committed)
        notes = list(dict.fromkeys(problems + reply.problems))
        return Plan(subgoals=reply.subgoals or plan.subgoals, steps=steps, phase=reply.phase,
                    rationale=plan.rationale, reflection="; ".join(notes) if notes else "plan holds")

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

    def replan(self, feedback: Feedback, ctx: Context) -> None:
        self.feedback.append(feedback)
        # The committed call was judged against an older state or was refused: draw afresh.
        self._committed = None

    def next_action(self, ctx: Context) -> str | SkillCall:
        first_draw = self._drawn_at != ctx.step
        self._drawn_at = ctx.step
        if self._committed:
            action, self._committed = self._committed, None
            return action
        temperature = self.temperature if first_draw else self.sample_temperature
        calls_before = len(ctx.model_calls)
        reply, error = call_json(
            self.model, "planner.action",
            self._messages(ctx, "action.j2", plan=ctx.plan), ActionChoice, ctx.model_calls,
            retries=self.retries, check=self._check(ctx), temperature=temperature, max_tokens=self.max_tokens)
        if reply is None:
            # Hand the loop the raw reply: it records the action error and feeds it back.
            raw = ctx.model_calls[-1].raw if len(ctx.model_calls) > calls_before else ""
            return raw or f"(unusable model reply: {error})"
        assert isinstance(reply, ActionChoice)
        return _call_text(reply)


class VLMCritic:
    """Predicts an action's outcome before it runs; accepts or rejects with a score and a suggestion."""

    name = "vlm"

    def __init__(self, model: Any, retries: int = 1, max_tokens: int = 256):
        self.model = model
        self.retries = retries
        self.max_tokens = max_tokens

    def review(self, action: BoundCall, ctx: Context) -> Verdict:
        skill = next((s for s in ctx.skills if s.name == action.call.name), None)
        irreversible = is_irreversible(action, ctx)
        text = render("critic.j2", **_context_values(ctx), action=str(action.call),
                      irreversible=irreversible, skill_description=skill.description if skill else "")
        messages = [system_message("critic", _embodiment(ctx)),
                    user_message(text, [(ctx.frame, f"frame:step{ctx.step}")])]
        reply, error = call_json(self.model, "critic", messages, CriticReply, ctx.model_calls,
                                 retries=self.retries, temperature=0.0, max_tokens=self.max_tokens)
        if reply is None:
            # No usable judgement: an irreversible action does not run on a guess.
            return Verdict(ok=not irreversible, score=None, source="vlm",
                           reason=f"critic reply unusable: {error}",
                           suggestion="re-check the state before an irreversible action" if irreversible else None)
        assert isinstance(reply, CriticReply)
        return Verdict(ok=reply.accept, score=reply.score, reason=reply.reason, source="vlm",
                       suggestion=reply.suggestion, predicted_outcome=reply.predicted_outcome)


class ChainedCritic:
    """Rule critic first (cheap, exact); the VLM critic judges what the rules let through.
    With `vlm_for_irreversible_only`, reversible calls skip the model, irreversible ones never do."""

    name = "rule+vlm"

    def __init__(self, rule: Critic | None = None, vlm: Critic | None = None, vlm_for_irreversible_only: bool = False):
        self.rule = rule or PreconditionCritic()
        self.vlm = vlm
        self.vlm_for_irreversible_only = vlm_for_irreversible_only

    def review(self, action: BoundCall, ctx: Context) -> Verdict:
        v = self.rule.review(action, ctx)
        if not v.ok or self.vlm is None:
            return v
        if self.vlm_for_irreversible_only and not is_irreversible(action, ctx):
            return v
        return self.vlm.review(action, ctx)


class VLMValidator:
    """Compares before and after (frames and scene-graph diff) with the action's intent."""

    name = "vlm"

    def __init__(self, model: Any, retries: int = 1, max_tokens: int = 256):
        self.model = model
        self.retries = retries
        self.max_tokens = max_tokens

    def check(self, action: BoundCall, before: Context, after: Context) -> Verdict:
        expected: list[str] = []
        if before.scene is not None:
            try:
                expected = [str(e) for e in action.skill.expected_effect(before.scene, action.args)]
            except Exception:
                expected = []
        diff_text = ""
        if before.scene is not None and after.scene is not None:
            diff_text = SceneGraph.diff(before.scene, after.scene).to_text() or "(nothing changed)"
        skill = next((s for s in before.skills if s.name == action.call.name), None)
        text = render("validator.j2", goal=before.goal, action=str(action.call),
                      intent=skill.description if skill else str(action.call), expected=expected,
                      before_text=before.scene.to_text() if before.scene is not None else before.text,
                      diff_text=diff_text, env_error=after.info.get("action_error"))
        messages = [system_message("validator", _embodiment(before)),
                    user_message(text, [(before.frame, f"frame:step{before.step}"),
                                        (after.frame, f"frame:step{after.step}")])]
        reply, error = call_json(self.model, "validator", messages, ValidatorReply, after.model_calls,
                                 retries=self.retries, temperature=0.0, max_tokens=self.max_tokens)
        if reply is None:
            return Verdict(ok=False, score=None, source="vlm", reason=f"validator reply unusable: {error}")
        assert isinstance(reply, ValidatorReply)
        return Verdict(ok=reply.ok, score=1.0 if reply.ok else 0.0, reason=reply.reason, source="vlm")


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
        if m.ok:
            return v.model_copy(update={"reason": f"{v.reason}; model agrees: {m.reason}"})
        return m
