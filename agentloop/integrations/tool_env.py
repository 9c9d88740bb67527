"""The tool env TRL's `environment_factory` makes a class of: one public method per skill, each
call judged by the critic before it runs and the validator after (`SkillToolEnv`), in this
process; `agentloop.integrations.remote` gives the same class over a running `agentloop serve`."""


from __future__ import annotations

import json
import re
import weakref
import zlib
from enum import Enum
from typing import Any, ClassVar

from PIL import Image
from pydantic import Field

from agentloop.calls import SkillCall
from agentloop.errors import ConfigError
from agentloop.integrations.answers import describe, describe_reset
from agentloop.integrations.options import LoopOptions
from agentloop.integrations.recorder import RolloutRecorder
from agentloop.integrations.session import Session, Turn
from agentloop.integrations.tools import skill_method
from agentloop.loop import EpisodeSpec
from agentloop.records import EpisodeRecord, RunConfig, StepRecord
from agentloop.skillset import SkillSet

Content = str | list[dict[str, Any]]
_INSTANCE_ATTRS = frozenset({"spec", "steps", "episode"})


class RewardMode(str, Enum):
    """What `get_reward()` returns for a rollout."""

    SUCCESS = "success"  # 1.0 when the task's own check passed, else 0.0
    PROGRESS = "progress"  # the final progress in [0, 1] (1.0 on success): partial credit
    GATED = "gated"  # G-RA: success plus step_weight x the share of steps that ran and passed the validator, counted only when the outcome reaches the gate


class FactoryOptions(LoopOptions):
    """The options of `environment_factory`: the loop's (critic, validator, bounds, `record`,
    `env_kwargs`) and how rollouts are answered and scored."""

    reward: RewardMode = Field(default=RewardMode.SUCCESS, description="what get_reward() returns")
    step_weight: float = Field(default=0.5, ge=0.0, description="RewardMode.GATED: weight of the step signals")
    gate: float = Field(default=1.0, ge=0.0, le=1.0,
                        description="RewardMode.GATED: outcome needed for the step signals to count")


class SkillToolEnv:
    """Base of the classes `environment_factory` makes: TRL's environment protocol (`reset`,
    tool methods, `get_reward`) over one `Session`. Public attributes, not methods, carry the
    rollout for reward functions: `spec` (its env, seed and rollout number), `steps` (its step
    records, with the verdicts) and `episode` (its record, once ended)."""

    env_id: ClassVar[str]
    skills: ClassVar[SkillSet]
    options: ClassVar[FactoryOptions]
    config: ClassVar[RunConfig]
    recorder: ClassVar[RolloutRecorder | None]

    def __init__(self) -> None:
        self._session = Session(self.config, self.recorder, policy="trl")
        self._closer = weakref.finalize(self, self._session.close)  # envs close with the instance
        self.spec: EpisodeSpec | None = None
        self.steps: list[StepRecord] = []
        self.episode: EpisodeRecord | None = None

    def reset(self, **row: Any) -> Content:
        """Start the rollout the dataset row names (`seed`, optional `task`)."""
        task = row.get("task")
        turn = self._session.reset(seed=_row_seed(row), env_id=str(task) if task else None)
        self.spec, self.steps, self.episode = self._session.spec, self._session.steps, None
        return self._content(turn, describe_reset(turn))

    def get_reward(self) -> float:
        """End the rollout (if the policy stopped first, as truncated) and score it."""
        record = self._finish()
        self.episode = record
        if record is None:
            return 0.0
        outcome = 1.0 if record.success else 0.0
        if self.options.reward is RewardMode.PROGRESS:
            return outcome or float(record.final_progress or 0.0)
        if self.options.reward is RewardMode.GATED:
            return outcome + self._gated_signal(outcome)
        return outcome

    def _finish(self) -> EpisodeRecord | None:
        return self._session.finish()

    def _gated_signal(self, outcome: float) -> float:
        if outcome < self.options.gate or not self.steps:
            return 0.0
        passed = sum(bool(s.label) for s in self.steps)
        return self.options.step_weight * passed / len(self.steps)

    def _call(self, call: SkillCall) -> Content:
        turn = self._session.act(call)
        self.episode = turn.episode
        return self._content(turn, describe(turn))

    def _content(self, turn: Turn, text: str) -> Content:
        frame = turn.context.frame
        if not self.options.frames or frame is None:
            return text
        return [{"type": "image", "image": Image.fromarray(frame)}, {"type": "text", "text": text}]


def tool_class(base: type[SkillToolEnv], env_id: str, skills: SkillSet, opts: FactoryOptions,
               **attrs: Any) -> type[SkillToolEnv]:
    """A subclass of `base` over `env_id` with one tool method per skill (each calling
    `base._call`) and `attrs` as class attributes."""
    taken = sorted(s.name for s in skills if hasattr(base, s.name) or s.name in _INSTANCE_ATTRS)
    if taken:
        raise ConfigError(f"{env_id}: skills named like the environment's own attributes: {', '.join(taken)}")
    namespace: dict[str, Any] = {
        "__doc__": f"{env_id} for TRL: one tool per skill ({', '.join(skills.names())}), each judged by "
                   f"the {opts.critic} critic before it runs and the {opts.validator} validator after.",
        "__module__": base.__module__, "env_id": env_id, "skills": skills, "options": opts, **attrs,
    }
    namespace.update({s.name: skill_method(s, base._call) for s in skills})
    return type(_class_name(env_id), (base,), namespace)


def _class_name(env_id: str) -> str:
    """`agentloop/robot.pick-place` -> `RobotPickPlaceEnv` (TRL names its reward column after it)."""
    task = env_id.split("/", 1)[-1]
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[^A-Za-z0-9]+", task) if p) + "Env"


def _row_seed(row: dict[str, Any]) -> int:
    """The row's `seed`, else a hash of the row that stays the same across processes and runs
    (images and other non-JSON values count by their type only)."""
    seed = row.get("seed")
    if seed is not None:
        return int(seed)
    text = json.dumps(row, sort_keys=True, default=lambda v: type(v).__name__)
    return zlib.crc32(text.encode("utf-8")) & 0x7FFFFFFF
