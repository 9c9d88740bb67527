"""The index's per-task table: counts over a task's episodes, success with a 95 % interval."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from agentloop.records import CriticAgreement, Outcome
from agentloop.report.entries import EpisodeEntry

Z95 = 1.959963984540054  # the standard normal's 97.5th percentile


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval for a binomial proportion: honest at 0 %, 100 % and small n,
    where the normal approximation collapses to a point or leaves [0, 1]."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class TaskRow:
    """One task's line in the index: its episodes' outcomes and the loop's interventions."""

    task: str
    episodes: int
    successes: int
    low: float  # 95 % interval of the success rate
    high: float
    mean_steps: float
    replans: int
    critic_rejections: int
    validator_failures: int
    action_errors: int
    errors: int  # episodes that ended in an error
    model_errors: int
    critic_accuracy: float | None  # share of judged accepts the validator confirmed

    @property
    def rate(self) -> float:
        return self.successes / self.episodes if self.episodes else 0.0


def _row(task: str, recs: list[EpisodeEntry]) -> TaskRow:
    n, wins = len(recs), sum(r.success for r in recs)
    low, high = wilson(wins, n)
    agreement = sum((r.critic_agreement for r in recs), CriticAgreement())
    return TaskRow(
        task=task, episodes=n, successes=wins, low=low, high=high,
        mean_steps=sum(r.steps for r in recs) / n if n else 0.0,
        replans=sum(r.replans for r in recs), critic_rejections=sum(r.critic_rejections for r in recs),
        validator_failures=sum(r.validator_failures for r in recs),
        action_errors=sum(r.action_errors for r in recs),
        errors=sum(r.outcome is Outcome.ERROR for r in recs), model_errors=sum(r.model_errors for r in recs),
        critic_accuracy=agreement.precision,
    )


def task_rows(records: Iterable[EpisodeEntry]) -> list[TaskRow]:
    """A row per task, in task order."""
    by_task: dict[str, list[EpisodeEntry]] = defaultdict(list)
    for r in records:
        by_task[r.task].append(r)
    return [_row(t, by_task[t]) for t in sorted(by_task)]
