"""One episode on disk, written so that it appears whole or not at all.

Frames are encoded into `episodes/.partial/<id>-<pid>-<thread>/frames/` by a `FramePool`
while the episode runs; each step is kept as the line pydantic writes for it. `finish`
waits for the frames, writes `steps.jsonl` and `episode.json` beside them and renames the
folder to `episodes/<id>` in one `os.rename`, so a reader never sees half an episode. A
killed run leaves only partial folders, which `--resume` deletes and reruns. Nothing is
fsynced: the rename survives a killed process (the page cache outlives it), though not a
power cut.
"""

from __future__ import annotations

import os
import shutil
import threading
from concurrent.futures import Future, wait
from pathlib import Path
from typing import Any

import numpy as np

from agentloop.errors import RecordingError
from agentloop.recording.frames import FramePool, write_png
from agentloop.records import EpisodeRecord, StepRecord

PARTIAL = ".partial"
STEPS_FILE = "steps.jsonl"
RECORD_FILE = "episode.json"


class EpisodeWriter:
    """Records one episode into a run folder: the loop's `EpisodeSink`, plus `finish` to land
    the episode and `abort` to drop it. Frames go to the `FramePool` it is lent (or are
    written on the caller's thread without one)."""

    def __init__(
        self, run_dir: Path | str, episode_id: str, frames: FramePool | None = None,
        record_frames: bool = True,
    ) -> None:
        episodes = Path(run_dir) / "episodes"
        self.episode_id = episode_id
        self.final = episodes / episode_id
        self.tmp = episodes / PARTIAL / f"{episode_id}-{os.getpid()}-{threading.get_ident()}"
        self._pool = frames
        self._record_frames = record_frames
        self._lines: list[str] = []
        self._frames: list[Future[None]] = []
        self._opened = False

    def frame(self, index: int, frame: Any) -> str | None:
        """Keep the frame seen before step `index` (a failure to keep it is raised by `finish`)."""
        if not self._record_frames or not isinstance(frame, np.ndarray) or frame.ndim < 2:
            return None
        rel = f"frames/{index:04d}.png"
        # A copy, made now: the env may draw its next frame into the same buffer.
        self._frames.append(self._write(rel, np.array(frame, dtype=np.uint8)))
        return rel

    def step(self, record: StepRecord) -> None:
        """Keep one finished step, as the JSON line pydantic writes for it."""
        self._lines.append(record.model_dump_json() + "\n")

    def finish(self, record: EpisodeRecord) -> Path:
        """Land the episode: wait for its frames, write its steps and record, move it into place."""
        try:
            for written in self._frames:
                written.result()
            folder = self._open()
            (folder / STEPS_FILE).write_text("".join(self._lines), "utf-8")
            (folder / RECORD_FILE).write_text(record.model_dump_json(indent=2), "utf-8")
            self._land()
        except (OSError, RecordingError) as e:
            raise RecordingError(f"episode {self.episode_id} could not be recorded in {self.tmp}: {e}") from e
        finally:
            self._lines, self._frames = [], []
        return self.final

    def abort(self) -> None:
        """Drop the episode: nothing of it lands."""
        wait(self._frames)  # none may still be writing into the folder being removed
        self._lines, self._frames = [], []
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _open(self) -> Path:
        """The partial folder, made (or cleared) on first use."""
        if not self._opened:
            if self.tmp.exists():  # left by a killed process that had the same pid and thread id
                shutil.rmtree(self.tmp)
            self.tmp.mkdir(parents=True)
            self._opened = True
        return self.tmp

    def _write(self, rel: str, pixels: np.ndarray) -> Future[None]:
        """Hand the frame to the pool (or write it now, without one). Errors are kept for
        `finish`: raised here, they would surface inside the loop, mid-step."""
        written: Future[None] = Future()
        try:
            if not self._frames:
                (self._open() / "frames").mkdir(exist_ok=True)
            if self._pool is not None:
                return self._pool.write(self.tmp / rel, pixels)
            write_png(self.tmp / rel, pixels)
            written.set_result(None)
        except (OSError, RecordingError) as e:
            written.set_exception(e)
        return written

    def _land(self) -> None:
        if self.final.exists():  # a finished copy already landed (a retried task): it stays
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        os.rename(self.tmp, self.final)


def read_steps(episode_dir: Path | str) -> list[StepRecord]:
    """The step records of a landed episode, in order."""
    with open(Path(episode_dir) / STEPS_FILE, encoding="utf-8") as f:
        return [StepRecord.model_validate_json(line) for line in f if line.strip()]


def read_episode(episode_dir: Path | str) -> EpisodeRecord:
    """The record of a landed episode."""
    return EpisodeRecord.model_validate_json((Path(episode_dir) / RECORD_FILE).read_text("utf-8"))
