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
import orjson

from agentloop.loop import EpisodeSink
from agentloop.records import EpisodeRecord, StepRecord, StepSignals
from agentloop.recording.disk import DiskWriter, EpisodeJob, write_episode

PARTIAL = ".partial"


class EpisodeWriter(EpisodeSink):
    def __init__(
        self, run_dir: Path, episode_id: str, disk: DiskWriter | None = None,
        record_frames: bool = True, durable: bool = False,
    ):
        self.run_dir = Path(run_dir)
        self.episode_id = episode_id
        self.final = self.run_dir / "episodes" / episode_id
        self.tmp = self.run_dir / "episodes" / PARTIAL / f"{episode_id}-{os.getpid()}-{threading.get_ident()}"
        # The writer creates (or clears) the folder when it writes the episode: nothing
        # touches the disk while the episode runs.
        self._disk = disk
        self._record_frames = record_frames
        self.durable = durable
        self._frames: list[tuple[str, np.ndarray]] = []
        # Serialised lines only: keeping the step objects alive until the episode ends
        # costs the garbage collector more than serialising them costs.
        self._lines: list[str] = []
        self._signals: list[StepSignals] = []

    def frame(self, index: int, frame: Any, tag: str = "") -> str | None:
        if not self._record_frames or not isinstance(frame, np.ndarray) or frame.ndim < 2:
            return None
        rel = f"frames/{index:04d}{tag}.png"
        # Copy: the env may reuse its buffer for the next render.
        self._frames.append((rel, np.array(frame, dtype=np.uint8, copy=True)))
        return rel

    def step(self, record: StepRecord) -> None:
        self._lines.append(step_json(record))
        # What derived values are computed from, so the writer need not parse the whole
        # step (scene graph included) back.
        self._signals.append(StepSignals.of(record))

    def finish(self, record: EpisodeRecord, wait: bool = False) -> Path:
        """Hand the episode to the disk writer (or write it now, with `wait` or no writer)."""
        job = EpisodeJob(
            tmp=str(self.tmp), final=str(self.final), lines=self._lines,
            episode_json=record.model_dump_json(indent=1), frames=self._frames, durable=self.durable,
            signals=self._signals,
        )
        self._frames, self._lines, self._signals = [], [], []
        if self._disk is None:
            write_episode(job)
        else:
            self._disk.submit(job)
            if wait:
                self._disk.flush()
        return self.final

    def abort(self) -> None:
        self._frames, self._lines, self._signals = [], [], []
        shutil.rmtree(self.tmp, ignore_errors=True)


def step_json(record: StepRecord) -> str:
    """One `steps.jsonl` line. The scene graph, most of a step's bytes, is already plain JSON
    data (the loop dumps it once), so orjson encodes it at a third of pydantic's cost for an
    untyped dict; the rest of the record goes through pydantic as usual."""
    sg = record.scene_graph
    if sg is None:
        return record.model_dump_json()
    try:
        graph = orjson.dumps(sg).decode()
    except TypeError:  # something orjson does not encode: let pydantic say what it makes of it
        return record.model_dump_json()
    head = record.model_dump_json(exclude={"scene_graph"})
    return f'{head[:-1]},"scene_graph":{graph}}}'


def read_steps(episode_dir: Path) -> list[StepRecord]:
    with open(Path(episode_dir) / "steps.jsonl", encoding="utf-8") as f:
        return [StepRecord.model_validate_json(line) for line in f if line.strip()]


def read_episode(episode_dir: Path) -> EpisodeRecord:
    return EpisodeRecord.model_validate_json((Path(episode_dir) / "episode.json").read_text("utf-8"))
