"""The reply formats the runtime parses, written the way a constrained decoder writes them:
compact JSON with `", "` and `": "` between items, properties in the schema's order.

A scripted decision becomes a training target through these, so a model fine-tuned on an
export answers in exactly the form the planner parses.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from pydantic import BaseModel, ValidationError

from agentloop.calls import SkillCall, SkillSpec
from agentloop.models.base import reply_data
from agentloop.prompts.schemas import ActionChoice, PlanReply, ReflectReply
from agentloop.records import CallRole, Plan

PLANNER_ROLES = (CallRole.PLAN, CallRole.REFLECT, CallRole.ACTION)
_SCHEMAS: dict[CallRole, type[BaseModel]] = {
    CallRole.PLAN: PlanReply, CallRole.REFLECT: ReflectReply, CallRole.ACTION: ActionChoice,
}


def reply_text(reply: BaseModel) -> str:
    """A reply as the model writes it: every field, in the schema's order."""
    return json.dumps(reply.model_dump(mode="json"), ensure_ascii=False)


def choice_of(call: SkillCall, skills: Sequence[SkillSpec]) -> ActionChoice:
    """`call` as the planner's JSON names it, its arguments in the skill's parameter order."""
    spec = next((s for s in skills if s.name == call.name), None)
    order = list(spec.parameters.get("properties", {})) if spec is not None else []
    args = {k: call.args[k] for k in order if k in call.args}
    args.update({k: v for k, v in call.args.items() if k not in args})
    return ActionChoice(skill=call.name, args=args)


def call_text(choice: ActionChoice) -> str:
    """The skill-call text of a choice, as candidates and actions are recorded."""
    return str(SkillCall(name=choice.skill, args=choice.args))


def plan_reply(plan: Plan, choice: ActionChoice) -> PlanReply:
    """Stage one's reply for `plan`, committing to `choice`."""
    return PlanReply(phase=plan.phase, subgoals=list(plan.subgoals), steps=list(plan.steps),
                     rationale=plan.rationale, next_action=choice)


def reflect_reply(plan: Plan, choice: ActionChoice) -> ReflectReply:
    """Stage two's reply that finds `plan` sound and commits to `choice`."""
    return ReflectReply(ok=True, problems=[], phase=plan.phase, subgoals=list(plan.subgoals),
                        steps=list(plan.steps), next_action=choice)


def parse_reply(role: CallRole, raw: str) -> BaseModel | None:
    """A planner call's reply parsed with its role's schema, as the runtime parsed it (a reply
    written as a skill call included); None when it does not parse."""
    schema = _SCHEMAS.get(role)
    if schema is None:
        return None
    try:
        return schema.model_validate(reply_data(raw, schema))
    except (ValueError, ValidationError):
        return None


def decision_of(role: CallRole, raw: str) -> ActionChoice | None:
    """The skill call a planner reply decides on, if it names one."""
    reply = parse_reply(role, raw)
    if isinstance(reply, ActionChoice):
        return reply
    return getattr(reply, "next_action", None)


def with_decision(role: CallRole, raw: str, choice: ActionChoice) -> str:
    """The reply `raw` of a planner call with its decision replaced by `choice` (the chosen side
    of a preference pair, in the same format as the rejected side)."""
    reply = parse_reply(role, raw)
    if role is CallRole.ACTION or reply is None:
        if role is CallRole.PLAN:
            return reply_text(PlanReply(next_action=choice))
        if role is CallRole.REFLECT:
            return reply_text(ReflectReply(next_action=choice))
        return reply_text(choice)
    return reply_text(reply.model_copy(update={"next_action": choice}))
