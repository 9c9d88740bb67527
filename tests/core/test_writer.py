"""The writer process: episodes land whole even when it dies, and its errors reach the run."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from agentloop.loop import EpisodeSpec, LoopLimits, Roles, run_episode
from agentloop.recording.disk import DiskWriter
from agentloop.recording.episode import EpisodeWriter, read_episode, read_steps
from agentloop.roles import EffectValidator, PreconditionCritic
from agentloop.testing.switches import SwitchesEnv, SwitchesPlanner


def _record(env: SwitchesEnv, run: Path, seed: int, disk: DiskWriter) -> int:
    spec = EpisodeSpec("agentloop/toy.switches", seed)
    sink = EpisodeWriter(run, spec.episode_id, disk)
    res = run_episode(env, spec, Roles(SwitchesPlanner(), PreconditionCritic(), EffectValidator()), LoopLimits(max_steps=50), sink)
    sink.finish(res.record)
    return res.record.steps


def test_episodes_land_whole_when_the_writer_process_is_killed(tmp_path):
    env = SwitchesEnv(lamps=6, targets=3)
    (tmp_path / "episodes").mkdir()
    disk = DiskWriter(max_pending=8)
    try:
        first = disk._proc.pid  # type: ignore[union-attr]
        os.kill(first, signal.SIGSTOP)  # episodes wait in the pipe, unconfirmed
        steps = {seed: _record(env, tmp_path, seed, disk) for seed in range(3)}
        os.kill(first, signal.SIGKILL)
        steps.update({seed: _record(env, tmp_path, seed, disk) for seed in range(3, 8)})
        disk.flush()
        assert disk._proc is not None and disk._proc.pid != first, "a new writer process took over"
    finally:
        disk.close()
    folders = sorted(p.name for p in (tmp_path / "episodes").iterdir() if not p.name.startswith("."))
    assert len(folders) == 8
    for folder in (tmp_path / "episodes").iterdir():
        if folder.name.startswith("."):
            continue
        rec = read_episode(folder)
        assert rec.success and len(read_steps(folder)) == rec.steps == steps[rec.seed]
        assert len(list((folder / "frames").glob("*.png"))) == rec.steps + 1
        assert (folder / "derived" / "rewards.v1.json").exists()
    assert not list((tmp_path / "episodes" / ".partial").glob("*")), "no partial folder is left"


def test_a_write_that_fails_is_reported_by_flush(tmp_path):
    env = SwitchesEnv(lamps=4, targets=2)
    disk = DiskWriter()
    try:
        # No episodes/ folder and a file where it should be: the rename cannot succeed.
        (tmp_path / "episodes").write_text("not a folder")
        _record(env, tmp_path, 0, disk)
        with pytest.raises(OSError, match="recording failed"):
            disk.flush()
        disk.flush()  # the error was reported once; the writer goes on
    finally:
        disk.close()
