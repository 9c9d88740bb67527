"""The episode writer: episodes land whole or not at all, frames hold what the env showed,
and a write that fails says so."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from agentloop.errors import RecordingError
from agentloop.loop import EpisodeSpec, LoopLimits, run_episode
from agentloop.recording import PARTIAL, EpisodeWriter, FramePool, RunDir, read_episode, read_steps
from agentloop.records import EpisodeRecord, Outcome, now
from agentloop.rewards import EPISODE_FILE, EpisodeRewards, compute_episode, episode_rewards
from agentloop.roles import EffectValidator, PreconditionCritic, Roles
from agentloop.testing.switches import SwitchesEnv, SwitchesPlanner


def _run(env: SwitchesEnv, run: Path, seed: int, frames: FramePool | None) -> tuple[EpisodeWriter, EpisodeRecord]:
    spec = EpisodeSpec("agentloop/toy.switches", seed)
    sink = EpisodeWriter(run, spec.episode_id, frames)
    roles = Roles(SwitchesPlanner(), PreconditionCritic(), EffectValidator())
    return sink, run_episode(env, spec, roles, LoopLimits(max_steps=50), sink).record


def _record(episode_id: str = "ep") -> EpisodeRecord:
    return EpisodeRecord(
        episode_id=episode_id, env_id="agentloop/toy.switches", task="toy.switches", seed=0,
        outcome=Outcome.SUCCESS, success=True, started_at=now(), ended_at=now(),
    )


def test_an_episode_appears_only_when_it_has_landed_whole(tmp_path):
    env = SwitchesEnv(lamps=6, targets=3)
    with FramePool(threads=2) as frames:
        for seed in range(4):
            sink, rec = _run(env, tmp_path, seed, frames)
            # Run, but not landed: readers see nothing of it.
            assert RunDir(tmp_path).finished_ids() == {f"toy.switches__s{s:05d}__r00" for s in range(seed)}
            assert not sink.final.exists() and sink.tmp.parent.name == PARTIAL
            assert sink.finish(rec) == sink.final
    landed = list(RunDir(tmp_path).episodes())
    assert len(landed) == 4
    for folder, rec in landed:
        steps = read_steps(folder)
        assert rec.success and len(steps) == rec.steps and [s.index for s in steps] == list(range(rec.steps))
        assert read_episode(folder) == rec
        for s in steps:  # every frame a step names is there, and is an image
            for ref in (s.frame, s.frame_after):
                assert ref is not None and Image.open(folder / ref).size == (32, 32)
        assert len(list((folder / "frames").glob("*.png"))) == rec.steps + 1
    assert not any((tmp_path / "episodes" / PARTIAL).iterdir()), "no partial folder is left"


def test_frames_land_as_rendered_even_when_the_env_reuses_its_buffer(tmp_path):
    """Each PNG holds exactly the pixels the env showed at that step, although the env drew
    every frame into the same buffer while earlier ones were still being encoded."""
    rng = np.random.default_rng(0)
    buffer = np.zeros((24, 40, 3), dtype=np.uint8)
    shown: dict[str, np.ndarray] = {}
    with FramePool(threads=3) as frames:
        sink = EpisodeWriter(tmp_path, "ep", frames)
        for i in range(12):
            buffer[:] = rng.integers(0, 256, buffer.shape, dtype=np.uint8)
            frame = buffer if i % 3 else buffer[: 8 + i, 5:]  # a view, not contiguous, other shapes
            if i % 4 == 1:
                frame = frame[..., 0]  # grey
            if i == 10:
                frame = frame.astype(np.int64)  # another dtype: stored as uint8
            rel = sink.frame(i, frame)
            assert rel is not None
            shown[rel] = np.array(frame, dtype=np.uint8)
        sink.finish(_record())
    for rel, pixels in shown.items():
        image = Image.open(tmp_path / "episodes" / "ep" / rel)
        assert image.mode == ("L" if pixels.ndim == 2 else "RGB"), rel
        assert np.array_equal(np.asarray(image), pixels), rel


def test_a_frame_that_cannot_be_written_fails_the_episode_and_nothing_lands(tmp_path):
    with FramePool() as frames:
        sink = EpisodeWriter(tmp_path, "ep", frames)
        sink.frame(0, np.zeros((8, 8, 3), dtype=np.uint8))
        sink.frame(1, np.zeros((8, 8, 7), dtype=np.uint8))  # seven channels: no image
        with pytest.raises(RecordingError, match=r"episode ep .*shape \(8, 8, 7\)"):
            sink.finish(_record())
        assert not sink.final.exists()
        sink.abort()
        assert not sink.tmp.exists()


def test_a_run_folder_that_cannot_be_written_is_reported(tmp_path):
    (tmp_path / "episodes").write_text("not a folder")
    sink, rec = _run(SwitchesEnv(lamps=4, targets=2), tmp_path, 0, None)
    with pytest.raises(RecordingError, match=r"episode toy\.switches__s00000__r00 could not be recorded"):
        sink.finish(rec)


def test_a_partial_folder_left_by_a_killed_process_is_replaced(tmp_path):
    """A killed process may leave a partial folder under the name a new writer picks (the
    same pid and thread id, reused): its leftovers must not land with the new episode."""
    stale = tmp_path / "episodes" / PARTIAL / f"ep-{os.getpid()}-{threading.get_ident()}"
    (stale / "frames").mkdir(parents=True)
    (stale / "frames" / "0099.png").write_bytes(b"half a frame")
    sink = EpisodeWriter(tmp_path, "ep")
    assert sink.tmp == stale
    sink.frame(0, np.zeros((4, 4), dtype=np.uint8))
    landed = sink.finish(_record())
    assert sorted(p.name for p in (landed / "frames").iterdir()) == ["0000.png"]


def test_a_retried_episode_keeps_the_copy_that_landed_first(tmp_path):
    first = EpisodeWriter(tmp_path, "ep").finish(_record())
    data = (first / "episode.json").read_bytes()
    again = _record()
    again.goal = "a second attempt"
    EpisodeWriter(tmp_path, "ep").finish(again)
    assert (first / "episode.json").read_bytes() == data
    assert not any((tmp_path / "episodes" / PARTIAL).iterdir())


def test_derived_rewards_are_computed_on_read_and_stored(tmp_path):
    sink, rec = _run(SwitchesEnv(lamps=6, targets=3), tmp_path, 0, None)
    folder = sink.finish(rec)
    assert not (folder / EPISODE_FILE).exists()  # recording writes the raw log only
    derived = episode_rewards(folder)
    assert derived == compute_episode(rec, read_steps(folder))
    assert EpisodeRewards.model_validate_json((folder / EPISODE_FILE).read_text("utf-8")) == derived
    assert sum(derived.contribution) == pytest.approx(1.0)
