"""Each candidate of a recorded episode as the planner was asked for it: the context rebuilt
from the records (scene, history, feedback so far) and the model planner's calls for it.

Where a model planned, those calls are the recorded ones. Where a scripted planner ran, the
real VLM planner is run on the rebuilt contexts with a model that answers with the scripted
decision, in the reply format the runtime parses: its calls are what the model planner would
have been sent there, rendered by the runtime's own prompt code. With a teacher, every
candidate is rendered so, and the decision is the teacher's at that state (relabelled): the
prompt is still the one the planner was sent, since the context is rebuilt as it was.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from pydantic import BaseModel
from typing_extensions import Unpack

from agentloop import registry
from agentloop.adapter import PassThroughSkillSet
from agentloop.calls import SkillCall, SkillSpec
from agentloop.context import Context, HistoryItem, call_targets, seen_in
from agentloop.errors import ActionError, ConfigError
from agentloop.exports.source import Episode, PromptOptions
from agentloop.models.base import parse_into
from agentloop.models.types import Completion, Message, Sampling
from agentloop.perception import Perception
from agentloop.prompts.messages import GOAL_SPEC
from agentloop.prompts.replies import PLANNER_ROLES, choice_of, plan_reply, reflect_reply, reply_text
from agentloop.prompts.schemas import PlanReply, ReflectReply
from agentloop.records import Candidate, Feedback, FeedbackSource, ModelCallRecord, Plan, StepRecord
from agentloop.roles.factory import load_planner
from agentloop.roles.planner import Planner
from agentloop.roles.vlm import VLMPlanner
from agentloop.scene import SceneGraph
from agentloop.skillset import SkillSet

PLACEHOLDER = np.zeros((1, 1, 3), np.uint8)  # stands for a frame: prompts record its reference only


@dataclass(frozen=True)
class Vocabulary:
    """An env's skills, as its perception lists them and as its skill set binds them."""

    skills: list[SkillSpec]
    skillset: SkillSet
    scripted_planner: str | None = None  # `module:Class` of the env's scripted planner

    @classmethod
    def of(cls, env_id: str) -> Vocabulary:
        """From the env's class, without making the env (no simulator or browser starts)."""
        declared = registry.env_class(env_id)
        skillset = declared.skillset or PassThroughSkillSet()  # a plain env's own actions pass through
        return cls(skills=skillset.specs(), skillset=skillset, scripted_planner=declared.scripted_planner)

    def teacher(self, spec: str, env_id: str) -> Planner:
        """The planner `spec` names: `scripted` (the env's own) or a `module:Factory`."""
        path = self.scripted_planner if spec == "scripted" else spec
        if not path:
            raise ConfigError(f"{env_id} has no scripted planner to teach with; name one as --teacher module:Factory")
        return load_planner(path)


@dataclass
class Moment:
    """One candidate of a step as the planner was asked for it: the context then (its
    feedback a snapshot of what had been said so far) and the planner's calls for it."""

    step: StepRecord
    candidate: int
    ctx: Context
    calls: list[ModelCallRecord]
    rendered: bool  # True: calls rendered for a scripted planner; False: recorded
    relabeled: bool = False  # rendered with a teacher's decision at this state, not the one taken

    @property
    def proposed(self) -> Candidate:
        """The candidate as the step recorded it."""
        return self.step.candidates[self.candidate]


class DecisionModel:
    """Answers the model planner's calls with a fixed decision: a plan, a reflection that
    keeps it, or the call itself, in the format the planner parses."""

    name = "scripted"

    def __init__(self, images: bool):
        self.accepts_images = images
        self.choice: SkillCall | str = ""
        self.plan = Plan()
        self.reflected = Plan()
        self.skills: list[SkillSpec] = []

    def complete(self, messages: list[Message], schema: type[BaseModel] | None = None,
                 **sampling: Unpack[Sampling]) -> Completion:
        if isinstance(self.choice, str):  # a candidate that does not even parse: handed on as it was
            return parse_into(Completion(text=self.choice, model=self.name), schema)
        choice = choice_of(self.choice, self.skills)
        reply: BaseModel = choice
        if schema is not None and issubclass(schema, PlanReply):
            reply = plan_reply(self.plan, choice)
        elif schema is not None and issubclass(schema, ReflectReply):
            reply = reflect_reply(self.reflected, choice)
        return parse_into(Completion(text=reply_text(reply), model=self.name), schema)


def _decision(action: SkillCall | str, skills: list[SkillSpec]) -> SkillCall | str:
    """A decision as a call, or its text where it does not parse (handed on as it was)."""
    if isinstance(action, SkillCall):
        return action
    try:
        return SkillCall.parse(action, skills or None)
    except ActionError:
        return action


class Replay:
    """Walks an episode's steps, rebuilding each candidate's moment (see the module)."""

    def __init__(self, ep: Episode, vocab: Vocabulary, options: PromptOptions, per_round: int):
        self.ep, self.vocab, self.options, self.per_round = ep, vocab, options, max(1, per_round)
        self.teacher = vocab.teacher(options.teacher, ep.record.env_id) if options.teacher else None
        self.recorded = self.teacher is None and any(c.role in PLANNER_ROLES for s in ep.steps for c in s.model_calls)
        self.model = DecisionModel(options.images)
        self.model.skills = vocab.skills
        self.planner = VLMPlanner(self.model, retries=0, mode=options.mode)
        self.history: list[HistoryItem] = []
        self.feedback: list[Feedback] = []
        self.plan: Plan | None = None
        # The env's goal spec, the one fact prompts show, holds for the episode; a step records
        # the facts after it, and a refused step none.
        self.facts = next(({GOAL_SPEC: s.env_info[GOAL_SPEC]} for s in ep.steps if GOAL_SPEC in s.env_info), {})

    def moments(self) -> list[Moment]:
        """Every candidate of the episode, in order, with the planner's calls for it."""
        out: list[Moment] = []
        for i, step in enumerate(self.ep.steps):
            ctx = self._context(step)
            if i == 0:
                self.planner.reset(ctx)
            out += self._step(step, ctx)
        return out

    def _context(self, step: StepRecord) -> Context:
        scene = SceneGraph.model_validate(step.scene_graph) if step.scene_graph is not None else None
        perception = Perception(scene_graph=scene, skills=self.vocab.skills, goal=self.ep.record.goal,
                                task=self.ep.record.task, progress=step.progress, extra=self.facts)
        observation: dict[str, Any] = {"text": step.text_view}
        if self.options.images and step.frame is not None:
            observation["screenshot"] = PLACEHOLDER
        return Context(env_id=self.ep.record.env_id, perception=perception, observation=observation,
                       skillset=self.vocab.skillset, step=step.index, max_steps=self.ep.record.max_steps,
                       history=self.history,
                       feedback=self.feedback, plan=self.plan)

    def _give(self, fb: Feedback, ctx: Context) -> None:
        self.feedback.append(fb)
        if not self.recorded:
            self.planner.feedback(fb, ctx)

    def _step(self, step: StepRecord, ctx: Context) -> list[Moment]:
        pending = deque(step.feedback)
        while pending and pending[0].source is FeedbackSource.HUMAN:
            self._give(pending.popleft(), ctx)
        out, critic_given = [], 0
        for i, cand in enumerate(step.candidates):
            rnd = i // self.per_round
            while rnd > critic_given and pending:  # the critic's word on the last round came before this one
                fb = pending.popleft()
                critic_given += fb.source is FeedbackSource.CRITIC
                self._give(fb, ctx)
            ctx.candidate = i % self.per_round
            calls = self._recorded(step, i, cand) if self.recorded else self._render(step, ctx, cand)
            snapshot = replace(ctx, feedback=list(self.feedback), history=list(self.history), model_calls=[])
            out.append(Moment(step, i, snapshot, calls, rendered=not self.recorded, relabeled=self.teacher is not None))
        for fb in pending:
            self._give(fb, ctx)
        self._remember(step, ctx)
        return out

    def _recorded(self, step: StepRecord, i: int, cand: Candidate) -> list[ModelCallRecord]:
        calls = [c for c in step.model_calls if c.role in PLANNER_ROLES]
        if any(c.candidate is not None for c in calls):
            return [c for c in calls if c.candidate == i]
        return [c for c in calls if c.parsed is not None and _decided(c) == cand.text]  # older records

    def _render(self, step: StepRecord, ctx: Context, cand: Candidate) -> list[ModelCallRecord]:
        if self.teacher is not None:
            self._teach(ctx)
        else:
            self.model.choice = _decision(cand.call or cand.text, self.vocab.skills)
            self.model.plan = step.plan or Plan(subgoals=[ctx.goal])
            self.model.reflected = step.plan_reflected or self.model.plan
        ctx.model_calls = []
        proposal = self.planner.propose(ctx)
        if proposal.plan is not None:
            self.plan = ctx.plan = proposal.reflected or proposal.plan
        return list(ctx.model_calls)

    def _teach(self, ctx: Context) -> None:
        """The teacher's decision at this state: it starts afresh here, as an expert labels a
        state it is shown, and sees the feedback given so far."""
        assert self.teacher is not None
        state = replace(ctx, candidate=0, feedback=list(ctx.feedback), history=list(ctx.history), model_calls=[])
        self.teacher.reset(state)
        proposal = self.teacher.propose(state)
        action = proposal.action
        self.model.choice = _decision(action if isinstance(action, SkillCall) else str(action), self.vocab.skills)
        self.model.plan = proposal.plan or Plan(subgoals=[ctx.goal])
        self.model.reflected = proposal.reflected or self.model.plan

    def _remember(self, step: StepRecord, ctx: Context) -> None:
        """The step in the history later prompts show, as the loop writes it."""
        if step.action is not None:
            self.history.append(HistoryItem(index=step.index, action=str(step.action), action_error=step.action_error,
                                            validator=step.validator, targets=call_targets(step.action, ctx.scene),
                                            seen=seen_in(ctx.scene)))
        else:
            last = step.candidates[-1].text if step.candidates else ""
            self.history.append(HistoryItem(index=step.index, action=last,
                                            action_error=step.action_error or "rejected by critic"))
        if self.recorded and step.plan is not None:
            self.plan = step.plan_reflected or step.plan


def _decided(call: ModelCallRecord) -> str | None:
    """The call text a recorded planner reply decided on, from its parsed form."""
    parsed = call.parsed if isinstance(call.parsed, dict) else {}
    choice = parsed.get("next_action") if "next_action" in parsed else parsed
    if not isinstance(choice, dict) or "skill" not in choice:
        return None
    return str(SkillCall(name=choice["skill"], args=choice.get("args") or {}))


def episode_moments(ep: Episode, vocab: Vocabulary, options: PromptOptions, per_round: int) -> list[Moment]:
    """Every candidate of `ep` as a `Moment`, in order."""
    return Replay(ep, vocab, options, per_round).moments()
