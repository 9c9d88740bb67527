"""What an env perceives and reports at each reset and step, as one typed object.

Every agentloop env returns a `Perception` in `info[INFO_KEY]` (`info["agentloop"]`): the
scene graph, the skills available now, the goal, success and progress, the action's error
with its kind, the reward components and the phase timings. An env's own facts that are
worth recording (a URL, a task's raw reward) go in `extra` as JSON; anything else an env
wants to return (an annotated image) stays a plain key of `info` beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agentloop.calls import SkillSpec
from agentloop.errors import ActionError, ErrorKind
from agentloop.records import RewardComponents
from agentloop.scene import SceneGraph

INFO_KEY = "agentloop"
# The `extra` key under which an env that injects failures (`--disturb`, a slipping switch)
# names those it injected into the last step: the ground truth the judges are measured against.
INJECTED = "injected"
# The `extra` key under which an env says, in one sentence, what it observed the last action do
# (what the fingers felt, how far things moved): a failed step's reason carries it.
OBSERVED = "observed"


class ActionFailure(BaseModel):
    """Why the last action did not run: its kind and a message a model can act on."""

    model_config = ConfigDict(frozen=True)

    kind: ErrorKind
    message: str

    @classmethod
    def of(cls, error: ActionError) -> ActionFailure:
        return cls(kind=error.kind, message=error.message)

    def __str__(self) -> str:
        return f"{self.kind.value}: {self.message}"


class Perception(BaseModel):
    """One reset's or step's perception and report, under `info["agentloop"]`.

    Two perceptions are equal when everything but their timings is: wall-clock times are
    not part of an env's deterministic output, and Gymnasium's determinism check (same seed
    and actions give equal `info`) stays meaningful for the rest.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    scene_graph: SceneGraph | None = Field(default=None, description="what the agent perceives now")
    skills: list[SkillSpec] = Field(default_factory=list, description="skills available now")
    goal: str = Field(default="", description="the instruction in natural language")
    task: str | None = Field(default=None, description="the task's name within its family")
    success: bool = False
    progress: float | None = Field(default=None, description="in [0, 1]; None where unmeasurable")
    action_error: ActionFailure | None = None
    rewards: RewardComponents = Field(default_factory=RewardComponents)
    timings: dict[str, float] = Field(default_factory=dict, description="seconds per phase")
    extra: dict[str, Any] = Field(default_factory=dict, description="the env's own JSON facts")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Perception):
            return NotImplemented
        mine, theirs = dict(self.__dict__), dict(other.__dict__)
        mine.pop("timings"), theirs.pop("timings")
        return mine == theirs

    __hash__ = None  # type: ignore[assignment]


def perception_of(info: Mapping[str, Any]) -> Perception:
    """The `Perception` in an env's `info`; a clear error for an env that gives none."""
    found = info.get(INFO_KEY)
    if not isinstance(found, Perception):
        raise TypeError(
            f"info[{INFO_KEY!r}] holds no Perception (got {type(found).__name__}): "
            "wrap plain Gymnasium envs with agentloop.adapter.as_skill_env"
        )
    return found
