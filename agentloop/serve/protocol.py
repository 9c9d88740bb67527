"""What travels on an OpenEnv session: the action, the observation and the state, as
openenv-core's own `Action`, `Observation` and `State` models.

OpenEnv's serializer sends an observation's fields and drops its `metadata`, so every signal
of the closed loop is a field here: the reward components, the critic's and the validator's
verdicts, the action error and its kind, success, progress and the state key, beside the
goal, the text view, the scene graph, the skills and the frame (a base64 PNG).
"""

from __future__ import annotations

import base64
from typing import Any

from openenv.core.env_server.types import Action, Observation, State
from pydantic import BaseModel, ConfigDict, Field

from agentloop.calls import SkillSpec
from agentloop.errors import ErrorKind
from agentloop.integrations.answers import describe, describe_reset
from agentloop.integrations.session import Turn
from agentloop.recording.frames import encode_png
from agentloop.records import EpisodeRecord, Outcome, RewardComponents, StepRecord, Verdict


class SkillAction(Action):
    """One call: skill-call text (`pick(object="red_cube")`) or its JSON form."""

    action: str | dict[str, Any] = Field(description='a skill call, e.g. pick(object="red_cube")')


class ResetParams(BaseModel):
    """What a reset may name: the seed (the same seed gives the same start), and a task of the
    same vocabulary (default: the served env). OpenEnv's `episode_id` is accepted and unused:
    episodes are named after their task, seed and rollout."""

    model_config = ConfigDict(extra="forbid")

    seed: int | None = Field(default=None, ge=0)
    task: str | None = None
    episode_id: str | None = None


class SkillObservation(Observation):
    """The state after a reset or a call, with every signal of the step as a field."""

    goal: str = ""
    task: str | None = Field(default=None, description="the task's name within its family")
    text: str = Field(default="", description="the env's text view")
    answer: str = Field(default="", description="what the call did, in words (as a trainer's tool answer)")
    scene_graph: dict[str, Any] | None = None
    frame: str | None = Field(default=None, description="the camera or screen frame, base64 PNG")
    skills: list[SkillSpec] = Field(default_factory=list)
    step: int = Field(default=0, description="steps made in this episode")
    action: str | None = Field(default=None, description="the call that ran (None: nothing ran)")
    rewards: RewardComponents = Field(default_factory=RewardComponents)
    critic: Verdict | None = None
    validator: Verdict | None = None
    action_error: str | None = None
    action_error_kind: ErrorKind | None = None
    success: bool = False
    progress: float | None = None
    state_key: str | None = None
    outcome: Outcome | None = Field(default=None, description="how the episode ended, once it has")
    extra: dict[str, Any] = Field(default_factory=dict, description="the env's own facts (a URL, the goal's spec)")
    episode_id: str | None = Field(default=None, description="the episode's id, as its recording names it")
    rollout: int = Field(default=0, description="the episode's rollout number among those of its task and seed")
    step_record: StepRecord | None = Field(default=None, description="the call's step as it is recorded")
    episode: EpisodeRecord | None = Field(default=None, description="the episode's record, once it has ended")


class SessionState(State):
    """The session's episode: OpenEnv's `episode_id` and `step_count`, the env and seed."""

    env_id: str = ""
    seed: int | None = None
    done: bool = False
    outcome: Outcome | None = None
    episode: EpisodeRecord | None = Field(default=None, description="the record of the episode that ended last")


def observation_of(turn: Turn, steps: int, frames: bool = True, spec: Any = None) -> SkillObservation:
    """The observation of a reset (no step) or of the call that made `turn.step`, in the
    episode `spec` (an `EpisodeSpec`) names."""
    p, step = turn.perception, turn.step
    scene, frame = p.scene_graph, turn.context.frame
    obs = SkillObservation(
        goal=p.goal, task=p.task, text=turn.context.text, extra=p.extra, answer=describe(turn) if step or turn.episode else describe_reset(turn),
        scene_graph=scene.model_dump(mode="json") if scene is not None else None,
        frame=base64.b64encode(encode_png(frame)).decode("ascii") if frames and frame is not None else None,
        skills=p.skills, step=steps, rewards=p.rewards, success=p.success, progress=p.progress,
        state_key=scene.state_key() if scene is not None else None,
        outcome=turn.episode.outcome if turn.episode is not None else None, episode=turn.episode,
        episode_id=spec.episode_id if spec is not None else None, rollout=spec.rollout if spec is not None else 0,
        step_record=step, done=turn.done, reward=turn.reward,
    )
    if step is not None:
        obs.action, obs.rewards, obs.critic, obs.validator = step.action_text, step.rewards, step.critic, step.validator
        obs.action_error, obs.action_error_kind = step.action_error, step.action_error_kind
        if step.action is not None:  # it ran: the step's account, which holds the env's verdict
            obs.success, obs.progress = step.success, step.progress  # on a `finish` claim
    return obs
