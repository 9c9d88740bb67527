"""Reading a run for export: finished episodes, their steps, frames and derived values,
filtered by outcome, task and date."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from functools import cache
from pathlib import Path

import jinja2
from PIL import Image

from agentloop.errors import ConfigError
from agentloop.recording.episode import read_steps
from agentloop.recording.run import RunDir
from agentloop.records import EpisodeRecord, RunManifest, StepRecord
from agentloop.rewards import EpisodeRewards, GroupAdvantages, episode_rewards, read_groups


class Filters:
    """Which episodes to export. Dates compare with the episode's start (UTC)."""

    def __init__(self, success_only: bool = False, task: str | None = None,
                 since: datetime | date | None = None, until: datetime | date | None = None):
        self.success_only, self.task = success_only, task
        self.since = _as_utc(since, time.min)
        self.until = _as_utc(until, time.max)

    def keep(self, rec: EpisodeRecord) -> bool:
        if rec.outcome == "error" or (self.success_only and not rec.success):
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
    folder: Path
    record: EpisodeRecord
    steps: list[StepRecord]
    rewards: EpisodeRewards
    advantages: dict[int, float] = field(default_factory=dict)

    def image(self, rel: str | None) -> Image.Image | None:
        if rel is None or not (self.folder / rel).exists():
            return None
        with Image.open(self.folder / rel) as im:
            return im.convert("RGB")


class Run:
    def __init__(self, path: Path | str, filters: Filters | None = None):
        self.dir = RunDir(path)
        self.manifest: RunManifest = self.dir.manifest()
        self.filters = filters or Filters()
        self.groups: list[GroupAdvantages] = read_groups(self.dir.path)

    def episodes(self) -> list[Episode]:
        adv = {e.episode_id: {s.index: s.advantage for s in e.steps} for g in self.groups for e in g.episodes}
        out = []
        for folder, rec in self.dir.episodes():
            if self.filters.keep(rec):
                out.append(Episode(folder, rec, read_steps(folder), episode_rewards(folder),
                                   adv.get(rec.episode_id, {})))
        if not out:
            raise ConfigError(f"{self.dir.path}: no episodes match the filters")
        return out


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("agentloop.exports", "templates"),
        autoescape=False,  # plain-text prompt for a model, not HTML
        keep_trailing_newline=True,
    )
    return env.get_template("prompt.j2")


def prompt_text(ep: Episode, step: StepRecord, feedback: list[str] | None = None) -> str:
    skills = sorted({c.call.name for c in step.candidates if c.call is not None})
    return _template().render(goal=ep.record.goal, text_view=step.text_view, skills=skills,
                              feedback=feedback or []).strip()


def action_of(step: StepRecord) -> str | None:
    if step.action_text:
        return step.action_text
    return str(step.action) if step.action is not None else None


def user_message(text: str) -> dict:
    """A TRL/transformers multimodal chat turn: an image placeholder, then the text."""
    return {"role": "user", "content": [{"type": "image", "text": None}, {"type": "text", "text": text}]}


def assistant_message(text: str) -> dict:
    return {"role": "assistant", "content": [{"type": "text", "text": text}]}
