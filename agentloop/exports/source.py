"""Reading a run for export: finished episodes, their steps, frames and derived values,
filtered by outcome, task and date; and the options that shape the prompts of its rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from pathlib import Path

from PIL import Image

from agentloop.errors import ConfigError
from agentloop.prompt_spec import PlannerMode
from agentloop.recording import RunDir, read_steps
from agentloop.records import EpisodeRecord, Outcome, RunManifest, StepRecord
from agentloop.rewards import EpisodeRewards, GroupAdvantages, episode_rewards, read_groups


@dataclass(frozen=True)
class PromptOptions:
    """How rows render the model planner's prompts where a scripted planner ran: its mode
    (staged: plan, reflect and action calls; single: one action call a step) and whether the
    frame is part of the prompt (off for text-only models). Rows of model calls that were
    made are those calls as recorded."""

    mode: PlannerMode = PlannerMode.STAGED
    images: bool = True
    # A planner ("scripted": the env's own, or a `module:Factory`) whose decision at each state
    # an episode reached becomes the row's target: DAgger's relabelling of a model's own runs,
    # so a model learns to recover from the states its mistakes lead to (sft rows only).
    teacher: str | None = None


class Filters:
    """Which episodes to export. Dates compare with the episode's start (UTC)."""

    def __init__(self, success_only: bool = False, task: str | None = None,
                 since: datetime | date | None = None, until: datetime | date | None = None):
        self.success_only, self.task = success_only, task
        self.since = _as_utc(since, time.min)
        self.until = _as_utc(until, time.max)

    def keep(self, rec: EpisodeRecord) -> bool:
        """Errored episodes are never exported: they are not evidence of skill."""
        if rec.outcome is Outcome.ERROR or (self.success_only and not rec.success):
            return False
        if self.task is not None and self.task not in (rec.task, rec.env_id, rec.env_id.split("/")[-1]):
            return False
        started = rec.started_at if rec.started_at.tzinfo else rec.started_at.replace(tzinfo=timezone.utc)
        if self.since is not None and started < self.since:
            return False
        return self.until is None or started <= self.until


def _as_utc(value: datetime | date | None, at: time) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, at)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


@dataclass
class Episode:
    """One landed episode as the exports read it: its record, steps, derived rewards and,
    when it belongs to a group, its steps' GiGPO advantages."""

    folder: Path
    record: EpisodeRecord
    steps: list[StepRecord]
    rewards: EpisodeRewards
    advantages: dict[int, float] = field(default_factory=dict)

    def frame_before(self, index: int) -> Image.Image | None:
        """The frame before step `index` (the last step's after-frame for one past the end)."""
        if 0 <= index < len(self.steps):
            return self.image(self.steps[index].frame)
        if index == len(self.steps) and self.steps:
            return self.image(self.steps[-1].frame_after)
        return None

    def image(self, rel: str | None) -> Image.Image | None:
        """A frame of this episode by its relative path, as RGB; None when there is none."""
        if rel is None or not (self.folder / rel).exists():
            return None
        with Image.open(self.folder / rel) as im:
            return im.convert("RGB")


# Told of an export's progress: what it is doing, how many of how many it has done.
Progress = Callable[[str, int, int], None]


class Run:
    """A run folder opened for export: its manifest, its groups' advantages, the episodes
    that pass the filters, and how rows render prompts. `progress` hears of each episode read
    (and, from the formats that render prompts, of each episode rendered)."""

    def __init__(self, path: Path | str, filters: Filters | None = None, options: PromptOptions | None = None,
                 progress: Progress | None = None):
        self.dir = RunDir(path)
        self.manifest: RunManifest = self.dir.manifest()
        self.filters = filters or Filters()
        self.options = options or PromptOptions()
        self.groups: list[GroupAdvantages] = read_groups(self.dir.path)
        self.progress: Progress = progress or (lambda what, done, total: None)

    @property
    def total(self) -> int:
        """How many episodes landed (before the filters)."""
        return len(self.dir.finished_ids())

    def episodes(self) -> list[Episode]:
        """The filtered episodes, all in memory; a `ConfigError` when none is left."""
        return list(self.iter_episodes())

    def iter_episodes(self) -> Iterator[Episode]:
        """The filtered episodes one at a time, each read when asked for: a format that writes
        its rows as it goes keeps one episode's steps in memory, however large the run. A
        `ConfigError` at the end when none was left."""
        adv = {e.episode_id: {s.index: s.advantage for s in e.steps} for g in self.groups for e in g.episodes}
        total, kept = self.total, 0
        for done, (folder, rec) in enumerate(self.dir.episodes(), 1):
            self.progress("reading episodes", done, total)
            if self.filters.keep(rec):
                kept += 1
                yield Episode(folder, rec, read_steps(folder), episode_rewards(folder), adv.get(rec.episode_id, {}))
        if not kept:
            raise ConfigError(f"{self.dir.path}: no episodes match the filters")


def first_frame(episodes: Iterable[Episode]) -> Image.Image:
    """The first recorded frame of a run: it fixes the image shape of a dataset."""
    for ep in episodes:
        for s in ep.steps:
            if (im := ep.image(s.frame)) is not None:
                return im
    raise ConfigError("nothing to export: the selected episodes have no recorded frames (run with frames on)")


def action_of(step: StepRecord) -> str | None:
    """The executed action as text, or None when nothing ran."""
    if step.action_text:
        return step.action_text
    return str(step.action) if step.action is not None else None
