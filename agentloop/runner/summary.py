"""The table printed at the end of a run, per task."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rich.table import Table

from agentloop.recording import RunDir, read_steps
from agentloop.recording.episode import STEPS_FILE
from agentloop.records import CriticAgreement, EpisodeRecord, Outcome, StepRecord


@dataclass
class TaskSummary:
    """One task's row of the summary: counts over its episodes."""

    task: str
    episodes: int
    successes: int
    mean_steps: float
    replans: int
    critic_rejections: int
    validator_failures: int
    errors: int  # episodes that ended in an error
    model_errors: int  # steps on which the model failed
    median_step_s: float | None  # over the steps given, None without any
    # Share of critic-accepted actions that the validator then confirmed (rejected actions never
    # run, so they cannot be checked); None when no accepted action was validated.
    critic_accuracy: float | None = None

    @property
    def success_rate(self) -> float:
        return self.successes / self.episodes if self.episodes else 0.0


def summarize(
    records: Sequence[EpisodeRecord], steps: Mapping[str, Sequence[StepRecord]] | None = None,
) -> list[TaskSummary]:
    """A row per task; `steps` (the step records by episode id, where read) give the step times."""
    by_task: dict[str, list[EpisodeRecord]] = defaultdict(list)
    for r in records:
        by_task[r.task].append(r)
    return [_task(task, by_task[task], steps or {}) for task in sorted(by_task)]


def _task(task: str, rs: list[EpisodeRecord], steps: Mapping[str, Sequence[StepRecord]]) -> TaskSummary:
    times = [s.timings["total"] for r in rs for s in steps.get(r.episode_id, ()) if "total" in s.timings]
    agreement = sum((r.critic_agreement for r in rs), CriticAgreement())
    return TaskSummary(
        task=task, episodes=len(rs), successes=sum(r.success for r in rs),
        mean_steps=statistics.fmean(r.steps for r in rs),
        replans=sum(r.replans for r in rs),
        critic_rejections=sum(r.critic_rejections for r in rs),
        validator_failures=sum(r.validator_failures for r in rs),
        errors=sum(r.outcome is Outcome.ERROR for r in rs),
        model_errors=sum(r.model_errors for r in rs),
        median_step_s=statistics.median(times) if times else None,
        critic_accuracy=agreement.precision,
    )


_COLUMNS = (
    "task", "episodes", "success", "mean steps", "replans", "critic rejections",
    "validator failures", "errors", "model errors", "median step",
)


def summary_table(
    records: Sequence[EpisodeRecord], title: str = "run summary",
    steps: Mapping[str, Sequence[StepRecord]] | None = None,
) -> Table:
    """The summary as a rich table; a critic-accuracy column where any critic was judged."""
    table = Table(title=title)
    for col in _COLUMNS:
        table.add_column(col, justify="left" if col == "task" else "right")
    summaries = summarize(records, steps)
    with_critic = any(s.critic_accuracy is not None for s in summaries)
    if with_critic:
        table.add_column("critic accuracy", justify="right")
    for s in summaries:
        extra = [f"{s.critic_accuracy:.0%}" if s.critic_accuracy is not None else "-"] if with_critic else []
        table.add_row(
            s.task, str(s.episodes), f"{s.success_rate:.0%}", f"{s.mean_steps:.1f}", str(s.replans),
            str(s.critic_rejections), str(s.validator_failures), str(s.errors), str(s.model_errors),
            f"{s.median_step_s * 1000:.0f} ms" if s.median_step_s is not None else "-", *extra,
        )
    return table


def run_summary(rd: RunDir, records: Sequence[EpisodeRecord], title: str) -> Table:
    """The summary of `records`, episodes of the run in `rd`, with step times read from their steps."""
    steps = {}
    for rec in records:
        folder = rd.episodes_dir / rec.episode_id
        if (folder / STEPS_FILE).exists():
            steps[rec.episode_id] = read_steps(folder)
    return summary_table(records, title, steps)
