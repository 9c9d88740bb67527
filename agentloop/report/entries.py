"""The index's view of one episode: what its list row shows, filters and sorts by, and what
the per-task table counts. Kept in the build's state, so a rebuild reads only new episodes."""

from __future__ import annotations

from pydantic import BaseModel, Field

from agentloop.records import CriticAgreement, EpisodeRecord, Outcome, StepRecord
from agentloop.report.kinds import EpisodeFlag, episode_flags
from agentloop.rewards import EpisodeRewards


class EpisodeEntry(BaseModel):
    """One episode as the index knows it."""

    id: str
    task: str
    seed: int
    rollout: int
    outcome: Outcome
    success: bool
    steps: int
    replans: int
    critic_rejections: int
    validator_failures: int
    action_errors: int
    model_errors: int
    human_steps: int
    final_progress: float | None
    env_return: float
    ret: float | None = Field(description="discounted return of the derived step rewards from step 0")
    duration_s: float
    goal: str
    error: str | None
    critic_agreement: CriticAgreement
    flags: list[EpisodeFlag]
    animated: bool = Field(description="whether an animation of the episode was written")


# The columns of the episode list, in the order the data file gives them.
ROW_FIELDS = (
    "id", "task", "seed", "rollout", "outcome", "steps", "replans", "critic_rejections",
    "validator_failures", "action_errors", "model_errors", "final_progress", "env_return", "ret",
    "duration_s", "goal", "error", "flags", "animated",
)


def entry_of(record: EpisodeRecord, steps: list[StepRecord], rewards: EpisodeRewards | None,
             animated: bool) -> EpisodeEntry:
    """The entry of a landed episode, from its record, steps and derived rewards."""
    human = sum(1 for s in steps if s.human_feedback)
    return EpisodeEntry(
        id=record.episode_id, task=record.task, seed=record.seed, rollout=record.rollout,
        outcome=record.outcome, success=record.success, steps=record.steps, replans=record.replans,
        critic_rejections=record.critic_rejections, validator_failures=record.validator_failures,
        action_errors=record.action_errors, model_errors=record.model_errors, human_steps=human,
        final_progress=record.final_progress, env_return=record.total_env_reward,
        ret=rewards.returns[0] if rewards is not None and rewards.returns else None,
        duration_s=record.duration_s, goal=record.goal, error=record.error,
        critic_agreement=record.critic_agreement, flags=episode_flags(record, human), animated=animated,
    )


def entry_row(entry: EpisodeEntry) -> list[object]:
    """The entry as one row of the data file, in `ROW_FIELDS` order (JSON values only)."""
    data = entry.model_dump(mode="json")
    return [data[f] for f in ROW_FIELDS]
