"""One episode on disk, written so that it appears whole or not at all.

Everything goes into `episodes/.partial/<id>-<pid>-<thread>/` first; `finish` writes frames,
`steps.jsonl` and `episode.json` there and renames the folder to `episodes/<id>` in one
`os.rename`. A killed run
leaves only partial folders, which `--resume` deletes and reruns.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path
from typing import Any

import numpy as np

from agentloop.loop import EpisodeSink
from agentloop.records import EpisodeRecord, StepRecord
from agentloop.recording.frames import FrameWriter, write_png

PARTIAL = ".partial"


class EpisodeWriter(EpisodeSink):
    """Collects an episode's steps and frames in memory while it runs, then hands the whole
    episode to the disk thread in one job: the loop pays for neither encoding nor syscalls,
    and one wake-up per episode keeps the disk thread from contending with it step by step."""

    def __init__(
        self, run_dir: Path, episode_id: str, frames: FrameWriter | None,
        record_frames: bool = True, durable: bool = False,
    ):
        self.run_dir = Path(run_dir)
        self.episode_id = episode_id
        self.final = self.run_dir / "episodes" / episode_id
        self.tmp = self.run_dir / "episodes" / PARTIAL / f"{episode_id}-{os.getpid()}-{threading.get_ident()}"
        if self.tmp.exists():
            shutil.rmtree(self.tmp)
        (self.tmp / "frames").mkdir(parents=True)
        self._disk = frames
        self._record_frames = record_frames
        self._frames: list[tuple[str, np.ndarray]] = []
        self.records: list[StepRecord] = []  # also kept for post-processing at the end
        self.durable = durable

    @property
    def folder(self) -> Path:
        """Where the episode is being written (derived files go here before `finish`)."""
        return self.tmp

    def frame(self, index: int, frame: Any, tag: str = "") -> str | None:
        if not self._record_frames or not isinstance(frame, np.ndarray) or frame.ndim < 2:
            return None
        rel = f"frames/{index:04d}{tag}.png"
        # Copy: the env may reuse its buffer for the next render.
        self._frames.append((rel, np.array(frame, dtype=np.uint8, copy=True)))
        return rel

    def step(self, record: StepRecord) -> None:
        self.records.append(record)

    def finish(self, record: EpisodeRecord, wait: bool = True) -> Path:
        """Write steps, frames and episode.json, then move the episode into place with one
        rename. With `wait=False` (and a disk thread) this is queued and returns at once;
        flush the `FrameWriter` before relying on the folder."""
        if self._disk is not None and not wait:
            self._disk.submit(lambda: self._write(record))
            return self.final
        if self._disk is not None:
            self._disk.flush()
        return self._write(record)

    def _write(self, record: EpisodeRecord) -> Path:
        for rel, frame in self._frames:
            write_png(self.tmp / rel, frame)
        self._frames = []
        # No fsync: the rename makes the episode appear whole to readers and survives a killed
        # process (the page cache outlives it); fsync would only add power-loss durability
        # at a cost of milliseconds per episode. `durable=True` buys it back.
        with open(self.tmp / "steps.jsonl", "w", encoding="utf-8") as f:
            f.writelines(step.model_dump_json() + "\n" for step in self.records)
            if self.durable:
                f.flush()
                os.fsync(f.fileno())
        with open(self.tmp / "episode.json", "w", encoding="utf-8") as f:
            f.write(record.model_dump_json(indent=1))
            if self.durable:
                f.flush()
                os.fsync(f.fileno())
        if self.final.exists():  # a finished copy already landed (e.g. a retried task)
            shutil.rmtree(self.tmp, ignore_errors=True)
            return self.final
        os.rename(self.tmp, self.final)
        if self.durable:
            _fsync_dir(self.final.parent)
        return self.final

    def abort(self) -> None:
        self._frames = []
        shutil.rmtree(self.tmp, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_steps(episode_dir: Path) -> list[StepRecord]:
    with open(Path(episode_dir) / "steps.jsonl", encoding="utf-8") as f:
        return [StepRecord.model_validate_json(line) for line in f if line.strip()]


def read_episode(episode_dir: Path) -> EpisodeRecord:
    return EpisodeRecord.model_validate_json((Path(episode_dir) / "episode.json").read_text("utf-8"))


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text("utf-8"))
