"""The options every outside driver of an env shares: the loop's settings (the judges around
each call, the episode's bounds, the env's own arguments, as `agentloop run` declares them)
and where rollouts are recorded."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from agentloop.integrations.recorder import RolloutRecorder
from agentloop.records import LoopSettings, RunConfig


class LoopOptions(LoopSettings):
    """How each call is judged and each episode bounded and recorded (an unknown option is an error)."""

    record: Path | None = Field(default=None, description="run folder to record every episode in")
    frames: bool = Field(default=True, description="what the policy is shown carries the frame (the TRL "
                         "answer's image, the observation's base64 PNG); off for text-only models")

    def run_config(self, env_id: str, driver: str) -> RunConfig:
        """The run these options make (`driver` names the policy's seat: trl, openenv): a critic's
        rejection is the policy's answer, never retried inside the loop."""
        shared = self.model_dump(include=set(LoopSettings.model_fields))
        return RunConfig(env_id=env_id, planner=driver, max_critic_rejections=0,
                         out=str(self.record.parent) if self.record else "recordings", **shared)

    def recorder(self, config: RunConfig) -> RolloutRecorder | None:
        """The recorder of the run folder `record` names (None without one)."""
        return RolloutRecorder(self.record, config, self.record_frames) if self.record else None


# Where a served env's token travels: `agentloop serve` reads it, and the clients here send it.
TOKEN_ENV = "AGENTLOOP_SERVE_TOKEN"
