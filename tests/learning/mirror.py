"""A model that replays a recorded scripted run: at each step it answers the model planner's
calls with the scripted planner's decision there (its plan, a reflection that keeps it, or
the call), so a model-driven run of the same seeds takes the same path. Loaded by
`--model function:tests.learning.mirror:MirrorModel`, with the scripted run's folder in
`AGENTLOOP_MIRROR_RUN`."""

from __future__ import annotations

import json
import os
import re

from pydantic import BaseModel

from agentloop.calls import SkillCall
from agentloop.models import Completion, Message, Sampling
from agentloop.models.base import parse_into
from agentloop.prompts.schemas import ActionChoice, PlanReply, ReflectReply
from agentloop.recording import RunDir, read_steps
from agentloop.records import Plan, StepRecord

_GOAL = re.compile(r"GOAL: (.*)")
_STEP = re.compile(r"^STEP (\d+)", re.M)  # prompts count steps from 1


class MirrorModel:
    """See the module."""

    name = "mirror"
    accepts_images = False

    def __init__(self, run_dir: str | None = None) -> None:
        self.steps: dict[tuple[str, int], StepRecord] = {}
        for folder, rec in RunDir(run_dir or os.environ["AGENTLOOP_MIRROR_RUN"]).episodes():
            for s in read_steps(folder):
                self.steps[(rec.goal, s.index)] = s

    def complete(self, messages: list[Message], schema: type[BaseModel] | None = None,
                 **sampling: Sampling) -> Completion:
        text = messages[-1].text()
        step = self.steps[(_GOAL.search(text).group(1), int(_STEP.search(text).group(1)) - 1)]
        call = step.action or SkillCall(name="wait")
        choice = {"skill": call.name, "args": call.args}
        # A step the scripted planner did not plan at gets the goal as its plan, as the exports render it.
        plan = step.plan_reflected or step.plan or Plan(subgoals=[_GOAL.search(text).group(1)])
        if schema is not None and issubclass(schema, PlanReply):
            reply = {"phase": plan.phase, "subgoals": plan.subgoals, "steps": plan.steps,
                     "rationale": plan.rationale, "next_action": choice}
        elif schema is not None and issubclass(schema, ReflectReply):
            reply = {"ok": True, "problems": [], "phase": plan.phase, "subgoals": plan.subgoals,
                     "steps": plan.steps, "next_action": choice}
        else:
            reply = ActionChoice(**choice).model_dump()
        return parse_into(Completion(text=json.dumps(reply), model=self.name), schema)
