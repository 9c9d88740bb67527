"""The options every outside driver of an env shares: the judges around each call, the
episode's bounds, where rollouts are recorded, and the env's own arguments."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agentloop.integrations.recorder import RolloutRecorder
from agentloop.records import RunConfig


class LoopOptions(BaseModel):
    """How each call is judged and each episode bounded and recorded (an unknown option is an error)."""

    model_config = ConfigDict(extra="forbid")

    critic: str = "rule"  # none | rule | vlm | prm:PATH | rule+prm:PATH, as `agentloop run --critic`
    validator: Literal["none", "rule", "vlm"] = "rule"
    model: str | None = None  # the backend of a vlm critic or validator (openai:NAME, hf:PATH)
    base_url: str | None = None  # its server, for openai:NAME
    max_steps: int | None = Field(default=None, ge=1)  # calls per episode; default: the env's own limit
    max_replans: int = Field(default=20, ge=0)  # validator failures before the episode ends as failure
    record: Path | None = None  # a run folder to record every episode in
    record_frames: bool = True  # with `record`: keep the frames too
    env_kwargs: dict[str, Any] = Field(default_factory=dict)  # passed to the env's constructor

    def run_config(self, env_id: str, driver: str) -> RunConfig:
        """The run these options make (`driver` names the policy's seat: trl, openenv)."""
        return RunConfig(
            env_id=env_id, planner=driver, critic=self.critic, validator=self.validator, model=self.model,
            base_url=self.base_url, max_steps=self.max_steps, max_critic_rejections=0,
            max_replans=self.max_replans, env_kwargs=self.env_kwargs, record_frames=self.record_frames,
            out=str(self.record.parent) if self.record else "recordings",
        )

    def recorder(self, config: RunConfig) -> RolloutRecorder | None:
        """The recorder of the run folder `record` names (None without one)."""
        return RolloutRecorder(self.record, config, self.record_frames) if self.record else None
