"""One episode on disk, written so that it appears whole or not at all.

Steps are serialised as they happen and frames kept in memory; when the episode ends,
`finish` hands everything to the `DiskWriter`, which writes it into
`episodes/.partial/<id>-<pid>-<thread>/` and renames that folder to `episodes/<id>` in one
`os.rename`. A killed run leaves only partial folders, which `--resume` deletes and reruns.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from typing import Any

import numpy as np

from agentloop.loop import EpisodeSink
from agentloop.recording.disk import Block, DiskWriter, EpisodeJob, FrameBuffer, write_episode
from agentloop.recording.lines import episode_json, step_line
from agentloop.records import EpisodeRecord, StepRecord, StepSignals

PARTIAL = ".partial"


class EpisodeWriter(EpisodeSink):
    def __init__(
        self, run_dir: Path, episode_id: str, disk: DiskWriter | None = None,
        record_frames: bool = True, durable: bool = False,
    ):
        self.run_dir = Path(run_dir)
        self.episode_id = episode_id
        # Strings: one writer per episode, and pathlib's joins cost more than the rest of
        # setting it up.
        episodes = os.path.join(run_dir, "episodes")
        self._final = os.path.join(episodes, episode_id)
        self._tmp = os.path.join(episodes, PARTIAL, f"{episode_id}-{os.getpid()}-{threading.get_ident()}")
        # The writer creates (or clears) the folder when it writes the episode: nothing
        # touches the disk while the episode runs.
        self._disk = disk
        self._record_frames = record_frames
        self.durable = durable
        self._frames = FrameBuffer()
        # Serialised lines only: keeping the step objects alive until the episode ends
        # costs the garbage collector more than serialising them costs. They go to the
        # writer as they are, never joined here.
        self._steps: list[bytes] = []
        self._signals: list[dict[str, Any]] = []

    @property
    def final(self) -> Path:
        """Where the episode lands."""
        return Path(self._final)

    @property
    def tmp(self) -> Path:
        """Where the writer assembles it first."""
        return Path(self._tmp)

    def frame(self, index: int, frame: Any, tag: str = "") -> str | None:
        if not self._record_frames or not isinstance(frame, np.ndarray) or frame.ndim < 2:
            return None
        rel = f"frames/{index:04d}{tag}.png"
        self._frames.add(rel, frame)  # a copy: the env may reuse its buffer for the next render
        return rel

    def step(self, record: StepRecord) -> None:
        self._steps.append(step_line(record))
        self._signals.append(StepSignals.values_of(record))

    def finish(self, record: EpisodeRecord, wait: bool = False) -> Path:
        """Hand the episode to the disk writer (or write it now, with `wait` or no writer)."""
        job = EpisodeJob(
            tmp=self._tmp, final=self._final, steps=Block(self._steps),
            episode_json=episode_json(record), frames=self._frames, durable=self.durable,
            signals=self._signals,
        )
        self._frames, self._steps, self._signals = FrameBuffer(), [], []
        if self._disk is None:
            write_episode(job)
        else:
            self._disk.submit(job)
            if wait:
                self._disk.flush()
        return self.final

    def abort(self) -> None:
        self._frames, self._steps, self._signals = FrameBuffer(), [], []
        shutil.rmtree(self._tmp, ignore_errors=True)


def read_steps(episode_dir: Path) -> list[StepRecord]:
    with open(Path(episode_dir) / "steps.jsonl", encoding="utf-8") as f:
        return [StepRecord.model_validate_json(line) for line in f if line.strip()]


def read_episode(episode_dir: Path) -> EpisodeRecord:
    return EpisodeRecord.model_validate_json((Path(episode_dir) / "episode.json").read_text("utf-8"))
