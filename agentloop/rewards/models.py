"""Derived reward files, as pydantic models. They live beside the raw log under a
versioned name, so a recomputation writes a new file and never touches what was recorded."""

from __future__ import annotations

from pydantic import BaseModel, Field

EPISODE_FILE = "derived/rewards.v1.json"
GROUPS_FILE = "derived/groups.v1.jsonl"


class RewardConfig(BaseModel):
    """How step rewards and advantages are derived (stored with every derived file)."""

    alpha: float = Field(default=1.0, description="weight of the progress attribution in r_t")
    beta: float = Field(default=0.1, description="weight of the grounding signal valid_t in r_t")
    gamma: float = Field(default=0.95, ge=0.0, le=1.0, description="discount for returns")
    omega: float = Field(default=1.0, description="weight of the step-level GiGPO advantage")
    gate_threshold: float | None = Field(
        default=None, description="G-RA: step rewards count only when the outcome reaches this"
    )


class EpisodeRewards(BaseModel):
    """Per-episode derived values, one entry per step in step order."""

    version: int = 1
    episode_id: str
    task: str
    seed: int
    config: RewardConfig
    outcome: float = Field(description="1.0 for success, else 0.0")
    progress: list[float] = Field(description="progress after each step (carried forward when unknown)")
    progress_delta: list[float]
    contribution: list[float] = Field(description="SPA attribution: sums to the outcome")
    valid: list[bool]
    step_reward: list[float] = Field(description="r_t = alpha*contribution_t + beta*valid_t")
    gated_reward: list[float] = Field(description="step_reward, zeroed when the outcome misses the gate")
    returns: list[float] = Field(description="discounted return of gated_reward from each step")
    label: list[bool | None]
    state_key: list[str | None]


class StepAdvantage(BaseModel):
    """One step's GiGPO advantage: its return compared with the steps that saw the same state."""

    index: int
    state_key: str | None
    ret: float = Field(description="discounted return from this step")
    anchor_size: int = Field(description="steps across the group that share this state_key")
    step_advantage: float
    advantage: float = Field(description="episode_advantage + omega * step_advantage")


class EpisodeAdvantage(BaseModel):
    """One episode's GiGPO advantages: its outcome against its group's, and each step's."""

    episode_id: str
    outcome: float
    episode_advantage: float
    steps: list[StepAdvantage]


class GroupAdvantages(BaseModel):
    """GiGPO advantages for the episodes of one task and seed."""

    version: int = 1
    task: str
    seed: int
    config: RewardConfig
    episodes: list[EpisodeAdvantage]
