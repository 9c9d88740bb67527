"""One episode's page and animations, built from its folder; returns its index entry."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from agentloop.recording import read_steps
from agentloop.recording.episode import STEPS_FILE
from agentloop.records import EpisodeRecord, RunManifest, StepRecord
from agentloop.report.animation import PAGE, THUMB, frame_files, write_animations
from agentloop.report.crop import Box
from agentloop.report.entries import EpisodeEntry, entry_of
from agentloop.report.layout import Layout, href, write_atomic
from agentloop.report.plot import PlotView, SeriesKind, plot_view
from agentloop.report.render import environment
from agentloop.report.steps import Frame, marks_of, step_views
from agentloop.rewards import EpisodeRewards, episode_rewards
from agentloop.scene import SceneGraph


@dataclass
class FramePlacer:
    """Places an episode's frame files on its page: their URL, their size (read from the
    file's header: it sizes the image and the marks drawn over it) and their marks."""

    folder: Path
    url_prefix: str  # the episode folder as seen from the page
    crop: Box | None = None  # the part of the frames shown (where they hold something)

    def __call__(self, ref: str | None, scene: SceneGraph | None) -> Frame | None:
        if not ref:
            return None
        try:
            with Image.open(self.folder / ref) as im:  # reads the header only
                width, height = im.size
        except OSError:
            return Frame(f"{self.url_prefix}/{href(ref)}", None, None, [])
        crop = self.crop if self.crop and self.crop.x + self.crop.w <= width and self.crop.y + self.crop.h <= height else None
        return Frame(f"{self.url_prefix}/{href(ref)}", width, height, marks_of(scene), crop)


def _rewards(folder: Path, steps: list[StepRecord]) -> EpisodeRewards | None:
    return episode_rewards(folder) if steps else None


def _plot(rewards: EpisodeRewards | None) -> PlotView | None:
    if rewards is None:
        return None
    return plot_view({SeriesKind.PROGRESS: rewards.progress, SeriesKind.REWARD: rewards.step_reward,
                      SeriesKind.RETURN: rewards.returns})


def build_episode(folder: Path, record: EpisodeRecord, manifest: RunManifest, layout: Layout) -> EpisodeEntry:
    """Write the page and animations of the landed episode in `folder`; return its entry."""
    steps = read_steps(folder) if (folder / STEPS_FILE).exists() else []
    rewards = _rewards(folder, steps)
    eid = record.episode_id
    animated = write_animations(folder, frame_files(steps), [(layout.animation(eid), PAGE), (layout.thumbnail(eid), THUMB)])
    entry = entry_of(record, steps, rewards, animated.written)
    views = step_views(steps, rewards, FramePlacer(folder, layout.from_page(folder), animated.crop))
    html = environment().get_template("episode.html.j2").render(
        manifest=manifest, record=record, entry=entry, steps=views, plot=_plot(rewards),
        animation=layout.from_page(layout.animation(eid)) if animated.written else None,
        page={"id": eid},
    )
    write_atomic(layout.page(eid), html)
    return entry
