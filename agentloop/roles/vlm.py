"""Model-based roles: the VLM planner (ExploreVLM's two stages, or one call a step for small
trained models), the pre-operative VLM critic (GUI-Critic-R1), the VLM execution validator,
and chains that put the rule-based roles first.

Prompts come from `agentloop.prompts.messages`, the same code the exports render their rows
with. Every model call lands in `ctx.model_calls` token-exact where the backend says how. The
skills and the ids in view are enumerated in the schema a backend decodes against, so a
constrained backend cannot name what is not there. A reply that cannot be used is recorded and
fed back for a bounded number of retries; if it stays unusable the planner hands the loop its
raw text, which the loop records as an action error and feeds back again.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel

from agentloop.calls import SkillCall
from agentloop.context import Context, draw_seed
from agentloop.errors import ActionError, ErrorKind
from agentloop.models import Model
from agentloop.models.base import accepts_images
from agentloop.models.types import Sampling
from agentloop.prompt_spec import PlannerMode
from agentloop.prompts.episode import plan_progress
from agentloop.prompts.messages import (
    action_messages,
    critic_messages,
    planner_messages,
    single_messages,
    validator_messages,
)
from agentloop.prompts.replies import call_text
from agentloop.prompts.schemas import (
    ActionChoice,
    CriticReply,
    PlanReply,
    ReflectReply,
    ValidatorReply,
    grounded,
    is_reference,
    literal_values,
)
from agentloop.records import CallRole, Feedback, Plan, Verdict, VerdictSource
from agentloop.roles.critic import is_irreversible
from agentloop.roles.planner import Proposal
from agentloop.roles.vlm_call import Check, UnusableReply, call_json
from agentloop.skillset import BoundCall


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


def _unseen(choice: ActionChoice, ctx: Context) -> list[str]:
    if ctx.scene is None:
        return []
    spec = next((s for s in ctx.skills if s.name == choice.skill), None)
    params = spec.parameters.get("properties", {}) if spec is not None else {}
    known = {n.id for n in ctx.scene.nodes} | {n.name for n in ctx.scene.nodes if n.name}
    return [f"{k}={v!r} is not in the scene graph" for k, v in choice.args.items()
            if is_reference(k, params.get(k, {})) and isinstance(v, str)
            and v not in known | set(literal_values(params.get(k, {})))]


def _call_problems(call: SkillCall, ctx: Context) -> list[str]:
    """What the rules see wrong with `call` now: objects not in view, an unmet precondition."""
    out = _unseen(ActionChoice(skill=call.name, args=call.args), ctx)
    if ctx.skillset is not None and ctx.scene is not None:
        try:
            bound = ctx.skillset.bind(call)
            problem = bound.skill.precondition(ctx.scene, bound.args)
            if problem:
                out.append(f"precondition of {call} does not hold: {problem}")
        except Exception as e:  # a broken precondition is reported, not raised
            out.append(f"cannot check {call}: {e}")
    return out


Staged = TypeVar("Staged", PlanReply, ReflectReply)


def _with_first(steps: list[str], committed: str | None) -> list[str]:
    """The plan's upcoming calls, led by the committed one."""
    if committed and (not steps or steps[0] != committed):
        return [committed, *steps]
    return steps


class VLMPlanner:
    """Asks a model for each step's action.

    Staged (the default): whenever there is something new to plan for (the episode's start,
    feedback since the last plan, a plan whose steps all ran, or a scene that contradicts its
    next step), stage one proposes a plan (phase, subgoals, next calls); stage two reflects on
    it where the rules find its committed call wrong, and commits the next call; otherwise one
    call asks for the next action, shown the plan with its done steps marked. Single
    (`mode=PlannerMode.SINGLE`): one call a step with the same context and no plan. Feedback
    from the critic, the validator, action errors and a human is shown while it applies. Another best-of-N draw at the
    same step (another best-of-N candidate, or a proposal after the critic refused one) samples
    with `sample_temperature`, so draws differ; each sampled call is seeded from the episode's
    seed and rollout (`Context.sampling_seed`), the step and the candidate, so a rerun repeats it."""

    name = "vlm"

    def __init__(self, model: Model, retries: int = 2, temperature: float = 0.0,
                 sample_temperature: float = 0.8, max_tokens: int = 512,
                 mode: PlannerMode = PlannerMode.STAGED):
        self.model = model
        self.mode = mode
        self.retries = retries
        self.temperature = temperature
        self.sample_temperature = sample_temperature
        self.max_tokens = max_tokens
        self.images = accepts_images(model)
        self.received: list[Feedback] = []
        self._stale = True  # something new to plan for
        self._committed: str | None = None  # the call the last plan committed to, as text
        self._planned_at = 0  # the step the plan in force was made at
        self._step, self._proposed = -1, 0  # proposals so far at the current step

    def reset(self, ctx: Context) -> None:
        self.received = []
        self._stale = True
        self._committed = None
        self._planned_at = 0
        self._step, self._proposed = -1, 0

    def propose(self, ctx: Context) -> Proposal:
        if ctx.step != self._step:
            self._step, self._proposed = ctx.step, 0
        candidate, self._proposed = self._proposed, self._proposed + 1
        if self.mode is PlannerMode.SINGLE:
            return Proposal(action=self._next_action(ctx, None, candidate))
        if not self._stale and not self._outdated(ctx):
            return Proposal(action=self._next_action(ctx, ctx.plan, candidate))
        self._stale, self._planned_at = False, ctx.step
        plan = self._plan(ctx, candidate)
        # Stage two runs only where it can change something: where the rules find the committed
        # call wrong (unseen objects, unmet preconditions) or there is none. Asked to re-check a
        # call the rules find nothing wrong with, a model repeats it and the call's cost doubles.
        problems = self._problems(ctx)
        reflected = self._reflect(plan, ctx, candidate, problems) if problems else None
        committed, self._committed = self._committed, None
        return Proposal(action=committed or self._next_action(ctx, reflected or plan, candidate), plan=plan,
                        reflected=reflected)

    def feedback(self, feedback: Feedback, ctx: Context) -> None:
        self.received.append(feedback)
        # The committed call was judged against an older state or was refused: plan afresh.
        self._stale = True
        self._committed = None

    def _check(self, ctx: Context) -> Check:
        def check(reply: BaseModel) -> str | None:
            choice = reply if isinstance(reply, ActionChoice) else getattr(reply, "next_action", None)
            if not isinstance(choice, ActionChoice):
                return None
            return _ground(choice, ctx) or ("; ".join(_unseen(choice, ctx)) or None)
        return check

    def _ask(self, ctx: Context, role: CallRole, template: str, schema: type[Staged], candidate: int,
             temperature: float, **extra: object) -> Staged:
        messages = planner_messages(ctx, template, self.received, self.images, **extra)
        return call_json(self.model, role, messages, grounded(schema, ctx.skills, ctx.scene), ctx.model_calls,
                         retries=self.retries, check=self._check(ctx), candidate=candidate,
                         **_sampling(ctx, role, candidate, temperature, self.max_tokens))

    def _plan(self, ctx: Context, candidate: int) -> Plan:
        """Stage one: a plan, and the call it starts with (committed until reflection)."""
        try:
            reply = self._ask(ctx, CallRole.PLAN, "plan.j2", PlanReply, candidate, self.temperature)
        except UnusableReply as e:
            self._committed = None
            return Plan(subgoals=[ctx.goal], phase="explore", rationale=f"no usable plan from the model: {e.reason}")
        self._committed = call_text(reply.next_action) if reply.next_action else None
        return Plan(subgoals=reply.subgoals, steps=_with_first(list(reply.steps), self._committed),
                    phase=reply.phase, rationale=reply.rationale)

    def _outdated(self, ctx: Context) -> bool:
        """Whether the plan in force is spent (every step ran) or the scene contradicts its next
        step (it names what is not in view, or its precondition does not hold): plan afresh."""
        plan = ctx.plan
        if plan is None or not plan.steps:
            return plan is None
        todo = [text for text, done in plan_progress(plan, ctx.history, self._planned_at) if not done]
        if not todo:
            return True
        try:
            call = SkillCall.parse(todo[0], ctx.skills or None)
        except ActionError:
            return False  # a step written as prose: nothing to check it against
        return bool(_call_problems(call, ctx))

    def _reflect(self, plan: Plan, ctx: Context, candidate: int, problems: list[str]) -> Plan:
        """Stage two: the plan checked against the scene (with what the rules found) and fixed."""
        try:
            reply = self._ask(ctx, CallRole.REFLECT, "reflect.j2", ReflectReply, candidate, self.temperature,
                              plan=plan, next_action=self._committed, problems=problems)
        except UnusableReply as e:
            notes = f"reflection unusable ({e.reason}); keeping the proposal"
            return plan.model_copy(update={"reflection": "; ".join([*problems, notes])})
        if reply.next_action is not None:
            self._committed = call_text(reply.next_action)
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
        return _call_problems(call, ctx)

    def _next_action(self, ctx: Context, plan: Plan | None, candidate: int) -> str:
        """The next call as text; an unusable reply is handed on raw, for the loop to record
        as an action error and feed back."""
        # Any later draw at the same step samples: another best-of-N candidate, or a proposal
        # after the critic refused one (greedy decoding would only ask for the refused call again).
        temperature = self.sample_temperature if candidate > 0 else self.temperature
        messages = (single_messages(ctx, self.received, self.images) if self.mode is PlannerMode.SINGLE
                    else action_messages(ctx, self.received, self.images, plan=plan, planned_at=self._planned_at))
        try:
            reply = call_json(
                self.model, CallRole.ACTION, messages, grounded(ActionChoice, ctx.skills, ctx.scene), ctx.model_calls,
                retries=self.retries, check=self._check(ctx), candidate=candidate,
                **_sampling(ctx, CallRole.ACTION, candidate, temperature, self.max_tokens))
        except UnusableReply as e:
            return e.raw or f"(unusable model reply: {e.reason})"
        return call_text(reply)


def _sampling(ctx: Context, role: CallRole, candidate: int, temperature: float, max_tokens: int) -> Sampling:
    """A planner call's sampling settings; where it samples, a seed drawn from the episode's, the
    step, the role and the candidate, so a rerun repeats its draws and two candidates differ."""
    out: Sampling = {"temperature": temperature, "max_tokens": max_tokens}
    if temperature > 0 and ctx.sampling_seed is not None:
        out["seed"] = draw_seed(ctx.sampling_seed, ctx.step, role.value, candidate)
    return out


class VLMCritic:
    """Predicts an action's outcome before it runs; accepts or rejects with a score and a suggestion."""

    name = "vlm"

    def __init__(self, model: Model, retries: int = 1, max_tokens: int = 256):
        self.model = model
        self.retries = retries
        self.max_tokens = max_tokens

    def review(self, action: BoundCall, ctx: Context) -> Verdict:
        irreversible = is_irreversible(action, ctx)
        messages = critic_messages(action, ctx, irreversible, accepts_images(self.model))
        try:
            reply = call_json(self.model, CallRole.CRITIC, messages, CriticReply, ctx.model_calls,
                              retries=self.retries, temperature=0.0, max_tokens=self.max_tokens)
        except UnusableReply as e:
            if irreversible:  # no usable judgement: an irreversible action does not run on a guess
                return Verdict(ok=False, source=VerdictSource.RULE,
                               reason=f"critic reply unusable ({e.reason}) and the action is irreversible",
                               suggestion="re-check the state before an irreversible action")
            return Verdict(ok=True, source=VerdictSource.ERROR, reason=f"critic reply unusable: {e.reason}")
        return Verdict(ok=reply.accept, score=reply.score, reason=reply.reason, source=VerdictSource.VLM,
                       suggestion=reply.suggestion, predicted_outcome=reply.predicted_outcome)


class VLMValidator:
    """Compares before and after (frames and scene-graph diff) with the action's intent."""

    name = "vlm"

    def __init__(self, model: Model, retries: int = 1, max_tokens: int = 256):
        self.model = model
        self.retries = retries
        self.max_tokens = max_tokens

    def check(self, action: BoundCall, before: Context, after: Context) -> Verdict:
        messages = validator_messages(action, before, after, accepts_images(self.model))
        try:
            reply = call_json(self.model, CallRole.VALIDATOR, messages, ValidatorReply, after.model_calls,
                              retries=self.retries, temperature=0.0, max_tokens=self.max_tokens)
        except UnusableReply as e:
            return Verdict(ok=True, source=VerdictSource.ERROR, reason=f"validator reply unusable: {e.reason}")
        return Verdict(ok=reply.ok, score=1.0 if reply.ok else 0.0, reason=reply.reason, source=VerdictSource.VLM)
