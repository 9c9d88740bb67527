"""Finished episodes are written to disk by a separate writer process, off the loop's path.

A thread would share the GIL with the loop: its many short file operations and frame
encodings each wait for the loop to let go of the interpreter, and the backlog grows. A
process has its own interpreter, so the loop pays only to hand over an episode's serialised
steps and raw frames once, when the episode ends. The writer encodes PNGs (lossless, as
training data must be), writes `steps.jsonl` and `episode.json` into the episode's partial
folder and renames it into place in one step.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from agentloop.records import StepSignals


@dataclass
class EpisodeJob:
    tmp: str
    final: str
    lines: list[str]
    episode_json: str
    frames: list[tuple[str, np.ndarray]] = field(default_factory=list)
    durable: bool = False
    derive: bool = True  # compute derived values (returns, attributions) beside the raw log
    signals: list[StepSignals] | None = None  # per-step values the derived rewards need


def write_png(path: Path, frame: np.ndarray, compression: int = 1) -> None:
    bgr = cv2.cvtColor(frame, cv2.COLOR_RGB2BGR) if frame.ndim == 3 else frame
    ok, buf = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, compression])
    if not ok:
        raise RuntimeError(f"PNG encoding failed for {path}")
    path.write_bytes(buf.tobytes())


def write_episode(job: EpisodeJob) -> str:
    """Write one episode and move it into place. Runs in the writer process (or inline)."""
    tmp, final = Path(job.tmp), Path(job.final)
    if tmp.exists():  # left by a killed process that had the same pid and thread id
        shutil.rmtree(tmp)
    (tmp / "frames").mkdir(parents=True)
    for rel, frame in job.frames:
        write_png(tmp / rel, frame)
    # Without `durable`, no fsync: the rename already makes the episode appear whole to
    # readers and survives a killed process (the page cache outlives it); fsync only adds
    # power-loss durability, at milliseconds per episode.
    for name, text in (("steps.jsonl", "".join(line + "\n" for line in job.lines)), ("episode.json", job.episode_json)):
        with open(tmp / name, "w", encoding="utf-8") as f:
            f.write(text)
            if job.durable:
                f.flush()
                os.fsync(f.fileno())
    if job.derive:
        _derive(tmp, job)
    if final.exists():  # a finished copy already landed (e.g. a retried task)
        shutil.rmtree(tmp, ignore_errors=True)
        return str(final)
    os.rename(tmp, final)
    if job.durable:
        fd = os.open(final.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    return str(final)


def _derive(folder: Path, job: EpisodeJob) -> None:
    """Per-episode derived values are computed here, as the episode is written, and stored
    beside the raw log inside the same atomic folder."""
    try:
        from agentloop.rewards import derive_episode
    except ImportError:
        return
    from agentloop.records import EpisodeRecord, StepRecord

    # Validating every full step (scene graphs included) again would cost more than writing
    # it: the signals the loop kept are all that derivation reads.
    steps: Sequence[StepRecord | StepSignals]
    if job.signals is not None and len(job.signals) == len(job.lines):
        steps = job.signals
    else:
        steps = [StepRecord.model_validate_json(line) for line in job.lines]
    derive_episode(folder, EpisodeRecord.model_validate_json(job.episode_json), steps)


def _ready() -> int:
    return os.getpid()


def _writer_cpu() -> float:
    import time

    return time.process_time()


def _start_writer(parent: int) -> None:
    """The writer yields the CPU to the loop it writes for (it is background work, and
    back-pressure bounds how far it may fall behind), and must not outlive that process (a
    worker killed by a segfault or SIGKILL would otherwise leave it behind, holding the
    terminal's pipes)."""
    import threading
    import time

    try:
        os.nice(10)
    except OSError:
        pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="agentloop-parent-watch").start()


class DiskWriter:
    """Queue of episodes for the writer process. `flush()` waits for all of them and raises
    if any failed; a writer process that died is replaced and the episode written inline."""

    def __init__(self, max_pending: int = 8):
        self.max_pending = max_pending
        self._lock = threading.RLock()  # episodes of several threads share one writer
        self._pending: list[tuple[Future, EpisodeJob]] = []
        self._errors: list[str] = []
        self._pool: ProcessPoolExecutor | None = None
        self._start()

    def _start(self) -> None:
        try:
            self._pool = ProcessPoolExecutor(
                max_workers=1, mp_context=mp.get_context("spawn"),
                initializer=_start_writer, initargs=(os.getpid(),),
            )
            self._pool.submit(_ready)  # start the process now, overlapping env start-up
        except (OSError, AssertionError, RuntimeError):
            # No child processes here (e.g. inside a daemonic process): write inline.
            self._pool = None

    def submit(self, job: EpisodeJob) -> None:
        with self._lock:
            self._submit(job)

    def _submit(self, job: EpisodeJob) -> None:
        if self._pool is None:
            self._inline(job)
            return
        try:
            fut = self._pool.submit(write_episode, job)
        except (BrokenProcessPool, RuntimeError):
            self._restart()
            self._inline(job)
            return
        self._pending.append((fut, job))
        if len(self._pending) > self.max_pending:  # back-pressure: bound the memory held
            self._settle(self._pending.pop(0))

    def _inline(self, job: EpisodeJob) -> None:
        try:
            write_episode(job)
        except Exception as e:
            self._errors.append(f"{job.final}: {e!r}")

    def _settle(self, item: tuple[Future, EpisodeJob]) -> None:
        fut, job = item
        try:
            fut.result()
        except BrokenProcessPool:
            self._restart()
            self._inline(job)
        except Exception as e:
            self._errors.append(f"{job.final}: {e!r}")

    def _restart(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._start()

    def cpu_seconds(self) -> float | None:
        """CPU time the writer process has used so far (None when writing inline)."""
        with self._lock:
            if self._pool is None:
                return None
            try:
                return self._pool.submit(_writer_cpu).result(timeout=30)
            except Exception:
                return None

    def flush(self) -> None:
        with self._lock:
            while self._pending:
                self._settle(self._pending.pop(0))
            if not self._errors:
                return
        with self._lock:
            errors, self._errors = self._errors, []
        raise OSError("recording failed: " + "; ".join(errors[:3]))

    def close(self) -> None:
        try:
            self.flush()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None


_shared: DiskWriter | None = None
_shared_lock = threading.Lock()


def shared_writer() -> DiskWriter:
    """One writer process per worker process, shared by its episode threads; it is shut
    down when the process exits."""
    global _shared
    with _shared_lock:
        if _shared is None:
            import atexit

            _shared = DiskWriter()
            atexit.register(_shared.close)
        return _shared
