"""The table printed at the end of a run, per task."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass

from rich.table import Table

from agentloop.records import EpisodeRecord


@dataclass
class TaskSummary:
    task: str
    episodes: int
    successes: int
    mean_steps: float
    replans: int
    critic_rejections: int
    validator_failures: int
    errors: int
    median_step_s: float | None
    # Share of critic-accepted actions that the validator then confirmed (rejected actions never
    # run, so they cannot be checked); None when no accepted action was validated.
    critic_accuracy: float | None = None

    @property
    def success_rate(self) -> float:
        return self.successes / self.episodes if self.episodes else 0.0


def summarize(records: list[EpisodeRecord]) -> list[TaskSummary]:
    by_task: dict[str, list[EpisodeRecord]] = defaultdict(list)
    for r in records:
        by_task[r.task].append(r)
    out = []
    for task in sorted(by_task):
        rs = by_task[task]
        times = [t for r in rs for t in r.step_times]
        out.append(TaskSummary(
            task=task, episodes=len(rs), successes=sum(r.success for r in rs),
            mean_steps=statistics.fmean(r.steps for r in rs),
            replans=sum(r.replans for r in rs),
            critic_rejections=sum(r.critic_rejections for r in rs),
            validator_failures=sum(r.validator_failures for r in rs),
            errors=sum(r.outcome == "error" for r in rs),
            median_step_s=statistics.median(times) if times else None,
            critic_accuracy=_critic_accuracy(rs),
        ))
    return out


def _critic_accuracy(records: list[EpisodeRecord]) -> float | None:
    ok = sum(r.critic_agreement.get("accept_ok", 0) for r in records)
    judged = ok + sum(r.critic_agreement.get("accept_fail", 0) for r in records)
    return ok / judged if judged else None


def summary_table(records: list[EpisodeRecord], title: str = "run summary") -> Table:
    table = Table(title=title)
    for col in ("task", "episodes", "success", "mean steps", "replans", "critic rejections",
                "validator failures", "errors", "median step"):
        table.add_column(col, justify="left" if col == "task" else "right")
    summaries = summarize(records)
    with_critic = any(s.critic_accuracy is not None for s in summaries)
    if with_critic:
        table.add_column("critic accuracy", justify="right")
    for s in summaries:
        extra = [f"{s.critic_accuracy:.0%}" if s.critic_accuracy is not None else "-"] if with_critic else []
        table.add_row(
            s.task, str(s.episodes), f"{s.success_rate:.0%}", f"{s.mean_steps:.1f}", str(s.replans),
            str(s.critic_rejections), str(s.validator_failures), str(s.errors),
            f"{s.median_step_s * 1000:.0f} ms" if s.median_step_s is not None else "-", *extra,
        )
    return table
