"""Rollouts driven from outside the loop, recorded as an agentloop run folder.

A trainer's rollouts land like any other run's episodes: `run.json` once, then one episode
folder per rollout (`steps.jsonl`, frames, `episode.json`), landed whole by the run's own
`EpisodeWriter`, so `agentloop show`, `report` and `export` read them unchanged. Rollouts of
one task and seed are numbered in the order they start (past the ones already in the folder);
with several trainer processes (`RANK` / `WORLD_SIZE`, as torchrun and accelerate set them)
each process takes its own residue class of numbers, so no two write the same episode id.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from pathlib import Path

from agentloop.loop import EpisodeSpec
from agentloop.recording import EpisodeWriter, FramePool, RunDir
from agentloop.records import RunConfig


class RolloutRecorder:
    """Hands out one `EpisodeWriter` per rollout into one run folder; shared by every session
    of a trainer process (thread-safe). Whoever makes it closes it (`close`)."""

    def __init__(self, run_dir: Path | str, config: RunConfig, record_frames: bool = True) -> None:
        self.run = RunDir(run_dir)
        if not self.run.exists():
            self.run.create(config, [config.env_id], [config.model] if config.model else [])
        self.record_frames = record_frames
        self._frames = FramePool(2)
        self._lock = threading.Lock()
        self._started: Counter[tuple[str, int]] = Counter()
        self._rank = int(os.environ.get("RANK", "0"))
        self._world = max(1, int(os.environ.get("WORLD_SIZE", "1")))

    @property
    def path(self) -> Path:
        return self.run.path

    def spec(self, env_id: str, seed: int) -> EpisodeSpec:
        """The next rollout of `env_id` at `seed`: its episode id is new in this run (one that
        an earlier process landed in the same folder is skipped)."""
        with self._lock:
            while True:
                n = self._started[(env_id, seed)]
                self._started[(env_id, seed)] += 1
                spec = EpisodeSpec(env_id=env_id, seed=seed, rollout=n * self._world + self._rank)
                if not (self.run.episodes_dir / spec.episode_id).exists():
                    return spec

    def writer(self, spec: EpisodeSpec) -> EpisodeWriter:
        """The writer that records `spec`'s episode; its `finish` lands it."""
        return EpisodeWriter(self.run.path, spec.episode_id, self._frames, self.record_frames)

    def close(self) -> None:
        """Wait for the frames handed over and stop the encoding threads."""
        self._frames.close()
