"""One episode on disk, written so that it appears whole or not at all.

Everything goes into `episodes/.partial/<id>-<pid>/` first; `finish` flushes frames, writes
`episode.json` and renames the folder to `episodes/<id>` in one `os.rename`. A killed run
leaves only partial folders, which `--resume` deletes and reruns.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from agentloop.loop import EpisodeSink
from agentloop.records import EpisodeRecord, StepRecord
from agentloop.recording.frames import FrameWriter

PARTIAL = ".partial"


class EpisodeWriter(EpisodeSink):
    def __init__(self, run_dir: Path, episode_id: str, frames: FrameWriter | None, record_frames: bool = True):
        self.run_dir = Path(run_dir)
        self.episode_id = episode_id
        self.final = self.run_dir / "episodes" / episode_id
        self.tmp = self.run_dir / "episodes" / PARTIAL / f"{episode_id}-{os.getpid()}"
        if self.tmp.exists():
            shutil.rmtree(self.tmp)
        (self.tmp / "frames").mkdir(parents=True)
        self._frames = frames if record_frames else None
        self._steps = open(self.tmp / "steps.jsonl", "w", encoding="utf-8")
        self.records: list[StepRecord] = []  # kept for post-processing when the episode ends

    def frame(self, index: int, frame: Any, tag: str = "") -> str | None:
        if self._frames is None or not isinstance(frame, np.ndarray) or frame.ndim < 2:
            return None
        rel = f"frames/{index:04d}{tag}.png"
        self._frames.put(self.tmp / rel, frame)
        return rel

    def step(self, record: StepRecord) -> None:
        self.records.append(record)
        self._steps.write(record.model_dump_json(exclude_none=False))
        self._steps.write("\n")

    @property
    def folder(self) -> Path:
        """Where the episode is being written (derived files go here before `finish`)."""
        return self.tmp

    def finish(self, record: EpisodeRecord) -> Path:
        self._steps.close()
        if self._frames is not None:
            self._frames.flush()
        data = record.model_dump_json(indent=1)
        with open(self.tmp / "episode.json", "w", encoding="utf-8") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if self.final.exists():  # a finished copy already landed (e.g. a retried task)
            shutil.rmtree(self.tmp, ignore_errors=True)
            return self.final
        os.rename(self.tmp, self.final)
        _fsync_dir(self.final.parent)
        return self.final

    def abort(self) -> None:
        try:
            self._steps.close()
        finally:
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
