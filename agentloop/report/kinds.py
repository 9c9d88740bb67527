"""What happened at a step, as the report colours it, and what an episode had, as the index
filters it."""

from __future__ import annotations

from enum import Enum

from agentloop.records import EpisodeRecord, Outcome, StepRecord, Verdict


class StepKind(str, Enum):
    """What happened at a step; the value names its CSS class and its legend entry."""

    ACTION_ERROR = "action-error"  # the action could not be parsed, grounded or run
    VALIDATOR_FAILED = "validator-failed"  # it ran and the validator found its effect missing
    REJECTED = "rejected"  # the critic rejected a candidate before anything ran
    HUMAN = "human"  # a person gave feedback at this step
    SUCCESS = "success"  # the task's own check passed after this step
    ACCEPTED = "accepted"  # accepted, run and (where judged) confirmed

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    StepKind.ACTION_ERROR: "action error",
    StepKind.VALIDATOR_FAILED: "validator failed",
    StepKind.REJECTED: "critic rejected",
    StepKind.HUMAN: "human feedback",
    StepKind.SUCCESS: "success",
    StepKind.ACCEPTED: "accepted",
}


def _failed(v: Verdict | None) -> bool:
    """A judged verdict that said no (the open loop's formal verdicts never count)."""
    return v is not None and v.judged and not v.ok


def step_kinds(step: StepRecord) -> list[StepKind]:
    """Every kind that applies to the step, most telling first (the first one colours it)."""
    kinds = []
    if step.action_error is not None:
        kinds.append(StepKind.ACTION_ERROR)
    if _failed(step.validator):
        kinds.append(StepKind.VALIDATOR_FAILED)
    if any(_failed(c.verdict) for c in step.candidates) or _failed(step.critic):
        kinds.append(StepKind.REJECTED)
    if step.human_feedback:
        kinds.append(StepKind.HUMAN)
    if step.success:
        kinds.append(StepKind.SUCCESS)
    if not kinds:
        kinds.append(StepKind.ACCEPTED)
    return kinds


class EpisodeFlag(str, Enum):
    """What the index's episode list can be filtered by, beyond task and outcome."""

    REJECTED = "rejected"  # the critic rejected at least one candidate
    VALIDATOR_FAILED = "validator-failed"  # the validator failed at least one step
    ERROR = "error"  # an action error, a model error, or the episode ended in an error
    HUMAN = "human"  # a person gave feedback


def episode_flags(record: EpisodeRecord, human_steps: int) -> list[EpisodeFlag]:
    """The flags an episode earns from its counts (`human_steps`: steps with human feedback)."""
    flags = []
    if record.critic_rejections:
        flags.append(EpisodeFlag.REJECTED)
    if record.validator_failures:
        flags.append(EpisodeFlag.VALIDATOR_FAILED)
    if record.action_errors or record.model_errors or record.outcome is Outcome.ERROR:
        flags.append(EpisodeFlag.ERROR)
    if human_steps:
        flags.append(EpisodeFlag.HUMAN)
    return flags
