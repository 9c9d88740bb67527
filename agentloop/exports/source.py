"""Reading a run for export: finished episodes, their steps, frames and derived values,
filtered by outcome, task and date."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from functools import cache
from pathlib import Path
from typing import Literal, TypedDict

import jinja2
from PIL import Image

from agentloop.errors import ConfigError
from agentloop.recording import RunDir, read_steps
from agentloop.records import EpisodeRecord, Outcome, RunManifest, StepRecord
from agentloop.rewards import EpisodeRewards, GroupAdvantages, episode_rewards, read_groups


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

    def image(self, rel: str | None) -> Image.Image | None:
        """A frame of this episode by its relative path, as RGB; None when there is none."""
        if rel is None or not (self.folder / rel).exists():
            return None
        with Image.open(self.folder / rel) as im:
            return im.convert("RGB")


class Run:
    """A run folder opened for export: its manifest, its groups' advantages and the
    episodes that pass the filters."""

    def __init__(self, path: Path | str, filters: Filters | None = None):
        self.dir = RunDir(path)
        self.manifest: RunManifest = self.dir.manifest()
        self.filters = filters or Filters()
        self.groups: list[GroupAdvantages] = read_groups(self.dir.path)

    def episodes(self) -> list[Episode]:
        """The filtered episodes; a `ConfigError` when none is left."""
        adv = {e.episode_id: {s.index: s.advantage for s in e.steps} for g in self.groups for e in g.episodes}
        out = [Episode(folder, rec, read_steps(folder), episode_rewards(folder), adv.get(rec.episode_id, {}))
               for folder, rec in self.dir.episodes() if self.filters.keep(rec)]
        if not out:
            raise ConfigError(f"{self.dir.path}: no episodes match the filters")
        return out


def first_frame(episodes: Iterable[Episode]) -> Image.Image:
    """The first recorded frame of a run: it fixes the image shape of a dataset."""
    for ep in episodes:
        for s in ep.steps:
            if (im := ep.image(s.frame)) is not None:
                return im
    raise ConfigError("nothing to export: the selected episodes have no recorded frames (run with frames on)")


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("agentloop.exports", "templates"),
        autoescape=False,  # plain-text prompt for a model, not HTML
        keep_trailing_newline=True,
    )
    return env.get_template("prompt.j2")


def prompt_text(ep: Episode, step: StepRecord, feedback: list[str] | None = None) -> str:
    """The text prompt of a step: goal, what was seen, the skills in play, any feedback."""
    skills = sorted({c.call.name for c in step.candidates if c.call is not None})
    return _template().render(goal=ep.record.goal, text_view=step.text_view, skills=skills,
                              feedback=feedback or []).strip()


def action_of(step: StepRecord) -> str | None:
    """The executed action as text, or None when nothing ran."""
    if step.action_text:
        return step.action_text
    return str(step.action) if step.action is not None else None


class ContentPart(TypedDict):
    """One part of a chat turn: an image placeholder (text None) or a text."""

    type: Literal["image", "text"]
    text: str | None


class ChatTurn(TypedDict):
    """A TRL/transformers multimodal chat turn."""

    role: Literal["user", "assistant"]
    content: list[ContentPart]


def user_message(text: str) -> ChatTurn:
    """A user turn: an image placeholder, then the text."""
    return {"role": "user", "content": [{"type": "image", "text": None}, {"type": "text", "text": text}]}


def assistant_message(text: str) -> ChatTurn:
    return {"role": "assistant", "content": [{"type": "text", "text": text}]}
