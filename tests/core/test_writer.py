"""The writer process: episodes land whole even when it dies, and its errors reach the run."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from agentloop.loop import EpisodeSpec, LoopLimits, Roles, run_episode
from agentloop.recording.disk import DiskWriter
from agentloop.recording.episode import EpisodeWriter, read_episode, read_steps
from agentloop.rewards import EPISODE_FILE, EpisodeRewards, compute_episode
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
        # Derived from the steps' signals alone, as the writer does, they equal what the
        # whole steps give.
        stored = EpisodeRewards.model_validate_json((folder / EPISODE_FILE).read_text("utf-8"))
        assert stored == compute_episode(rec, read_steps(folder))
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


def test_frames_land_as_rendered_even_when_the_env_reuses_its_buffer(tmp_path):
    """Frames of several shapes pass through the writer process as one block; each PNG must
    hold exactly the pixels the env showed at that step, although the env drew every frame
    into the same buffer."""
    import numpy as np
    from PIL import Image

    from agentloop.records import EpisodeRecord, now

    (tmp_path / "episodes").mkdir()
    rng = np.random.default_rng(0)
    buffer = np.zeros((24, 40, 3), dtype=np.uint8)
    shown: dict[str, np.ndarray] = {}
    disk = DiskWriter()
    try:
        sink = EpisodeWriter(tmp_path, "ep", disk)
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
        sink.finish(EpisodeRecord(
            episode_id="ep", env_id="agentloop/toy.switches", task="toy.switches", seed=0,
            outcome="success", success=True, started_at=now(), ended_at=now(),
        ))
        disk.flush()
    finally:
        disk.close()
    for rel, pixels in shown.items():
        image = Image.open(tmp_path / "episodes" / "ep" / rel)
        assert image.mode == ("L" if pixels.ndim == 2 else "RGB"), rel
        assert np.array_equal(np.asarray(image), pixels), rel


def test_step_signals_handed_to_the_writer_are_the_steps_own():
    """`values_of` reads a step's signals without pydantic's serializer; they must equal what
    validating the whole step gives, for a subclass of the reward model too."""
    from agentloop.records import RewardComponents, StepRecord, StepSignals, now

    class Shaped(RewardComponents):
        shaping: float = 0.5

    for rewards in (RewardComponents(env=1.0, progress=0.25, critic=None, validator=0.0), Shaped(env=-1.0)):
        step = StepRecord(
            episode_id="ep", index=3, started_at=now(), ended_at=now(), state_key="k",
            action_error="bad", rewards=rewards, success=True, progress=0.5, label=False,
        )
        values = StepSignals.values_of(step)
        assert values == StepSignals.model_validate(step.model_dump()).model_dump() | {"rewards": rewards.model_dump()}
        assert StepSignals.model_validate(values).rewards.env == rewards.env


def test_gathered_writes_deliver_every_byte_in_order(tmp_path):
    """`write_all` sends many pieces in few system calls: more pieces than one `writev`
    takes, empty ones, and more bytes than a pipe holds (so writes come back partial while
    the reader drains it)."""
    import random
    import threading

    from agentloop.recording.disk import _IOV_MAX, write_all

    rng = random.Random(0)
    pieces = [bytes([i % 256]) * rng.choice([0, 1, 7, 4096, 70_000]) for i in range(_IOV_MAX * 2 + 5)]
    expected = b"".join(pieces)
    path = tmp_path / "out.bin"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    write_all(fd, pieces)
    os.close(fd)
    assert path.read_bytes() == expected

    r, w = os.pipe()
    got = bytearray()

    def drain() -> None:
        while chunk := os.read(r, 1 << 16):
            got.extend(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    write_all(w, [memoryview(p) for p in pieces])
    os.close(w)
    reader.join()
    os.close(r)
    assert bytes(got) == expected


def test_a_message_larger_than_the_pipe_crosses_it_whole():
    """The hand-over to the writer process: a job's pieces travel out of band and arrive as
    the same bytes, however many there are and however large."""
    import multiprocessing as mp
    import threading

    import numpy as np

    from agentloop.recording.disk import Block, EpisodeJob, FrameBuffer, _receive, _transmit

    frames = FrameBuffer()
    for i in range(40):
        frames.add(f"frames/{i:04d}.png", np.full((64, 48, 3), i, dtype=np.uint8))
    lines = [f'{{"index": {i}}}\n'.encode() * 300 for i in range(50)]
    job = EpisodeJob(tmp="t", final="f", steps=Block(lines), episode_json=b"{}", frames=frames, signals=[{"index": 1}])
    out, into = mp.Pipe(duplex=False)
    received: list = []
    reader = threading.Thread(target=lambda: received.append(_receive(out)))
    reader.start()
    _transmit(into, ("write", 7, job))
    reader.join()
    kind, seq, back = received[0]
    assert (kind, seq, back.tmp, back.signals) == ("write", 7, "t", [{"index": 1}])
    assert back.steps.data == b"".join(lines)
    assert [(rel, f.tobytes()) for rel, f in back.frames] == [(rel, f.tobytes()) for rel, f in frames]
    into.close()
    with pytest.raises(EOFError):
        _receive(out)
