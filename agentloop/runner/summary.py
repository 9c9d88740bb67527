"""The table printed at the end of a run, per task."""

from __future__ import annotations

import statistics
import textwrap
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

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


class Column(str, Enum):
    """A column of the summary; the value is its header."""

    EPISODES = "episodes"
    SUCCESS = "success"
    MEAN_STEPS = "mean steps"
    REPLANS = "replans"
    CRITIC_REJECTIONS = "critic rejections"
    VALIDATOR_FAILURES = "validator failures"
    ERRORS = "errors"
    MODEL_ERRORS = "model errors"
    MEDIAN_STEP = "median step"
    CRITIC_ACCURACY = "critic accuracy"


# Where one table would be cut, the columns go in two: what came out, then what went wrong.
_RESULTS = (Column.EPISODES, Column.SUCCESS, Column.MEAN_STEPS, Column.MEDIAN_STEP, Column.CRITIC_ACCURACY)
_INCIDENTS = (Column.REPLANS, Column.CRITIC_REJECTIONS, Column.VALIDATOR_FAILURES, Column.ERRORS, Column.MODEL_ERRORS)
_ALL = _RESULTS[:3] + _INCIDENTS + _RESULTS[3:]


def _cells(s: TaskSummary) -> dict[Column, str]:
    return {
        Column.EPISODES: str(s.episodes), Column.SUCCESS: f"{s.success_rate:.0%}",
        Column.MEAN_STEPS: f"{s.mean_steps:.1f}", Column.REPLANS: str(s.replans),
        Column.CRITIC_REJECTIONS: str(s.critic_rejections), Column.VALIDATOR_FAILURES: str(s.validator_failures),
        Column.ERRORS: str(s.errors), Column.MODEL_ERRORS: str(s.model_errors),
        Column.MEDIAN_STEP: f"{s.median_step_s * 1000:.0f} ms" if s.median_step_s is not None else "-",
        Column.CRITIC_ACCURACY: f"{s.critic_accuracy:.0%}" if s.critic_accuracy is not None else "-",
    }


def _table(summaries: Sequence[TaskSummary], columns: Sequence[Column], title: str | None) -> Table:
    """One table of `columns`: the task never cut, a header wraps between its words, a value never."""
    table = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    table.add_column("task", no_wrap=True)
    rows = [_cells(s) for s in summaries]
    for col in columns:
        widest = max([len(w) for w in col.value.split()] + [len(r[col]) for r in rows])
        table.add_column(col.value, justify="right", min_width=widest)
    for s, cells in zip(summaries, rows):
        table.add_row(s.task, *(cells[c] for c in columns))
    return table


def _columns(summaries: Sequence[TaskSummary], columns: Sequence[Column]) -> list[Column]:
    """`columns`, less critic accuracy where no critic was judged."""
    judged = any(s.critic_accuracy is not None for s in summaries)
    return [c for c in columns if judged or c is not Column.CRITIC_ACCURACY]


def summary_table(
    records: Sequence[EpisodeRecord], title: str = "run summary",
    steps: Mapping[str, Sequence[StepRecord]] | None = None,
) -> Table:
    """The summary as one rich table; a critic-accuracy column where any critic was judged."""
    summaries = summarize(records, steps)
    return _table(summaries, _columns(summaries, _ALL), title)


@dataclass
class Summary:
    """The summary laid out for the width it is printed at: one table where it fits whole,
    else two (results, then incidents), else a block per task (its name on a line of its
    own, then its numbers). A task's name is never cut."""

    summaries: list[TaskSummary]
    title: str
    notes: list[str] = field(default_factory=list)  # lines printed under the tables

    def layouts(self) -> list[list[Table]]:
        one = [_table(self.summaries, _columns(self.summaries, _ALL), self.title)]
        two = [_table(self.summaries, _columns(self.summaries, _RESULTS), self.title),
               _table(self.summaries, _INCIDENTS, None)]
        return [one, two]

    def stacked(self, width: int) -> Group:
        # The console prints without wrapping (a cut line is worse than a long one): the
        # title is folded here, the numbers broken between items.
        parts: list[RenderableType] = [Text(line, style="italic") for line in textwrap.wrap(self.title, width)]
        for s in self.summaries:
            cells = _cells(s)
            parts.append(Text(s.task, style="bold", no_wrap=True, overflow="ignore"))
            for cols in (_columns([s], _RESULTS), _INCIDENTS):
                parts += [Text(line, no_wrap=True, overflow="ignore")
                          for line in _lines([f"{c.value} {cells[c]}" for c in cols], width)]
        return Group(*parts)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        unbounded = options.update_width(1 << 16)  # a measure is clamped to the width it is given
        for tables in self.layouts():
            if all(Measurement.get(console, unbounded, t).minimum <= options.max_width for t in tables):
                yield from tables
                break
        else:
            yield self.stacked(options.max_width)
        yield from (Text(line) for line in self.notes)


def _lines(items: Sequence[str], width: int, indent: str = "  ", sep: str = " · ") -> list[str]:
    """`items` joined by `sep` in lines of at most `width` characters, broken between items only."""
    lines: list[str] = []
    for item in items:
        if lines and len(lines[-1]) + len(sep) + len(item) <= width:
            lines[-1] += sep + item
        else:
            lines.append(indent + item)
    return lines


def run_summary(rd: RunDir, records: Sequence[EpisodeRecord], title: str) -> Summary:
    """The summary of `records`, episodes of the run in `rd`, with step times read from their steps."""
    steps = {}
    for rec in records:
        folder = rd.episodes_dir / rec.episode_id
        if (folder / STEPS_FILE).exists():
            steps[rec.episode_id] = read_steps(folder)
    crashed = sum(rec.error_trace is not None for rec in records)
    notes = [f"{crashed} episode(s) crashed: the tracebacks are in {rd.errors_log}"] if crashed else []
    return Summary(summarize(records, steps), title, notes)
