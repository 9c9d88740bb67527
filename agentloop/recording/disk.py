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
import pickle
import select
import shutil
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from pydantic import TypeAdapter

try:
    import fcntl
except ImportError:  # not on Windows
    fcntl = None  # type: ignore[assignment]

from agentloop.records import StepSignals

_U8 = np.dtype(np.uint8)


class Block:
    """Bytes gathered in pieces while an episode runs (one piece per step line, or per
    frame). They are never joined in the loop: handed over out of band (pickle protocol 5),
    each piece goes into the writer's pipe as it is, in the same gathered write as the
    rest of the episode, and the writer writes them out the same way."""

    def __init__(self, pieces: list[Any] | None = None):
        self.pieces: list[Any] = [] if pieces is None else pieces  # bytes-like, byte format

    @property
    def data(self) -> bytes:
        return b"".join(self.pieces)

    def _state(self) -> tuple[Any, ...]:
        return ()

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        if isinstance(protocol, int) and protocol >= 5:
            pieces = [pickle.PickleBuffer(p) for p in self.pieces]
        else:
            pieces = [bytes(p) for p in self.pieces]
        return type(self), (pieces, *self._state())


class FrameBuffer(Block):
    """An episode's frames. Each is copied out by `tobytes` as it comes (the copy the loop
    must make anyway: an env may reuse its render buffer); that copy is what the writer
    receives. One numpy call a frame is what costs the loop least: copying each frame into
    a growing block took 20 to 27 µs a frame there against 13, though less in a tight
    loop. A frame of another dtype than uint8 is cast to it by the writer."""

    def __init__(self, pieces: list[Any] | None = None, index: list[tuple[str, tuple[int, ...], str]] | None = None):
        super().__init__(pieces)
        self.index = [] if index is None else index  # (relative path, shape, dtype) of each piece

    def _state(self) -> tuple[Any, ...]:
        return (self.index,)

    def add(self, rel: str, frame: np.ndarray) -> None:
        self.index.append((rel, frame.shape, frame.dtype.str))
        self.pieces.append(frame.tobytes())  # C order whatever the array's layout

    def __len__(self) -> int:
        return len(self.index)

    def __iter__(self) -> Iterator[tuple[str, np.ndarray]]:
        for (rel, shape, dtype), raw in zip(self.index, self.pieces):
            frame = np.frombuffer(raw, dtype).reshape(shape)
            yield rel, frame if frame.dtype == _U8 else frame.astype(np.uint8)


@dataclass
class EpisodeJob:
    tmp: str
    final: str
    steps: Block  # steps.jsonl as it will be on disk, a line a piece
    episode_json: bytes
    frames: FrameBuffer = field(default_factory=FrameBuffer)
    durable: bool = False
    derive: bool = True  # compute derived values (returns, attributions) beside the raw log
    # Each step's `StepSignals` as plain values (`StepSignals.values_of`): what the derived
    # values are computed from.
    signals: list[dict[str, Any]] = field(default_factory=list)


# zlib level 1 and one fixed row filter ("up"), not libpng's default of trying every filter on
# every row: on MiniWoB screenshots (400x420) and MuJoCo renders (256x256) that encodes 2.9
# times faster for files 3 % larger (measured on both kinds of frame), and the writer's time
# is not free on a machine with few cores.
# (An OpenCV too old to choose the filter keeps libpng's.)
_PNG = [cv2.IMWRITE_PNG_COMPRESSION, 1]
if hasattr(cv2, "IMWRITE_PNG_FILTER"):
    _PNG += [cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_UP]


# A file is written with three calls (open, write, close), its name looked up from its
# folder's descriptor: `open()` adds a buffered writer object and two more system calls (a
# stat and a terminal check), and a frame is written in one write anyway.
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
_DIR_FD = os.open in os.supports_dir_fd


def write_file(path: str, data: Any, folder: int | None = None, durable: bool = False) -> None:
    """Write `data` (bytes, any buffer, or a list of them written in turn) to `path`,
    relative to the open folder `folder` when given; with `durable`, the bytes are on disk
    before it returns."""
    fd = os.open(path, _CREATE, 0o666, dir_fd=folder)
    try:
        if isinstance(data, list):
            write_all(fd, data)
        else:  # one buffer (a frame's PNG): one write, almost always
            _write_buffer(fd, data)
        if durable:
            os.fsync(fd)
    finally:
        os.close(fd)


def _write_buffer(fd: int, data: Any) -> None:
    """Write all of one buffer: a write may take fewer bytes than offered."""
    view = memoryview(data).cast("B")
    while view:
        view = view[os.write(fd, view):]


def _iov_max() -> int:
    """How many buffers one `writev` takes here (at most 1024; 16 where the OS does not say)."""
    try:
        n = os.sysconf("SC_IOV_MAX")
    except (AttributeError, ValueError, OSError):
        return 16
    return min(n, 1024) if n > 0 else 16


_IOV_MAX = _iov_max()


def write_all(fd: int, buffers: list[Any]) -> None:
    """Write every byte of `buffers` to `fd`, in order: in one gathered write (`writev`)
    where the OS has one and the buffers fit, so that many pieces cost one system call and
    no joined copy. A write may take fewer bytes than offered; the rest follows."""
    views = [b if isinstance(b, bytes) else memoryview(b).cast("B") for b in buffers]
    views = [v for v in views if len(v)]  # an empty one would end a partial write's loop early
    if not hasattr(os, "writev"):
        for piece in views:
            _write_buffer(fd, piece)
        return
    i = 0
    while i < len(views):
        written = os.writev(fd, views[i:i + _IOV_MAX])
        while written:
            size = len(views[i])
            if written < size:
                views[i] = memoryview(views[i])[written:]
                break
            written -= size
            i += 1


def encode_png(frame: np.ndarray) -> np.ndarray:
    bgr = cv2.cvtColor(frame, cv2.COLOR_RGB2BGR) if frame.ndim == 3 else frame
    ok, buf = cv2.imencode(".png", bgr, _PNG)
    if not ok:
        raise RuntimeError(f"PNG encoding failed for a frame of shape {frame.shape}")
    return buf


def write_episode(job: EpisodeJob) -> str:
    """Write one episode and move it into place. Runs in the writer process (or inline)."""
    tmp, final = Path(job.tmp), Path(job.final)
    if tmp.exists():  # left by a killed process that had the same pid and thread id
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    # Without `durable`, no fsync: the rename already makes the episode appear whole to
    # readers and survives a killed process (the page cache outlives it); fsync only adds
    # power-loss durability, at milliseconds per episode.
    if job.frames:
        (tmp / "frames").mkdir()
        folder = os.open(job.tmp, os.O_RDONLY) if _DIR_FD else None
        try:
            for rel, frame in job.frames:
                write_file(rel if folder is not None else os.path.join(job.tmp, rel), encode_png(frame), folder, job.durable)
        finally:
            if folder is not None:
                os.close(folder)
    write_file(os.path.join(job.tmp, "steps.jsonl"), job.steps.pieces, durable=job.durable)
    write_file(os.path.join(job.tmp, "episode.json"), job.episode_json, durable=job.durable)
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


_SIGNALS: TypeAdapter[list[StepSignals]] = TypeAdapter(list[StepSignals])


def _derive(folder: Path, job: EpisodeJob) -> None:
    """Per-episode derived values are computed here, as the episode is written, and stored
    beside the raw log inside the same atomic folder."""
    try:
        from agentloop.rewards import derive_episode
    except ImportError:
        return
    from agentloop.records import EpisodeRecord

    # Only the signals derivation reads (rewards, progress, labels), never each whole step
    # with its scene graph: validating that again would cost more than writing the episode.
    # The episode's steps in one validation call, not one a step.
    steps = _SIGNALS.validate_python(job.signals)
    derive_episode(folder, EpisodeRecord.model_validate_json(job.episode_json), steps, atomic=False)


def _serve(jobs: Connection, replies: Connection, parent: int) -> None:
    """The writer process: write each episode it is sent and answer with its sequence
    number and the error, if any. It yields the CPU to the loop it writes for (background
    work; back-pressure bounds how far it may fall behind) and ends with its parent: at
    end of file on the pipe, or when the parent is gone (a worker killed by SIGKILL would
    otherwise leave it behind, holding the terminal's pipes).

    A thread takes episodes off the pipe as soon as they arrive, while the main thread
    writes: an episode larger than the pipe's buffer (web frames are half a megabyte each)
    would otherwise keep the loop waiting in its hand-over until the episode before it was
    written."""
    import queue
    import time

    try:
        os.nice(10)
    except OSError:
        pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    inbox: queue.SimpleQueue[tuple[str, int, Any]] = queue.SimpleQueue()

    def receive() -> None:
        while True:
            try:
                msg = _receive(jobs)
            except (EOFError, OSError):
                inbox.put(("stop", 0, None))
                return
            inbox.put(msg)
            if msg[0] == "stop":
                return

    threading.Thread(target=watch, daemon=True, name="agentloop-parent-watch").start()
    threading.Thread(target=receive, daemon=True, name="agentloop-receive").start()
    try:  # now, while the worker starts its env, rather than when the first episode waits
        import agentloop.rewards  # noqa: F401
    except ImportError:
        pass
    while True:
        kind, seq, job = inbox.get()
        if kind == "stop":
            return
        if kind == "cpu":
            replies.send((seq, None, time.process_time()))
            continue
        try:
            write_episode(job)
            replies.send((seq, None, None))
        except Exception as e:
            replies.send((seq, f"{job.final}: {e!r}", None))


# A message on the jobs pipe: its pickle's length and how many raw buffers follow (`<II`),
# each buffer's length (`<Q`), the pickle, then the buffers. Pickle protocol 5 keeps large
# buffers (an episode's lines and frames) out of the pickle, and one gathered write sends
# them from where they lie. Where the OS has no `writev` the message goes as one
# `send_bytes`, joined.
_HEAD = struct.Struct("<II")
_GATHER = hasattr(os, "writev") and os.name == "posix"


def _transmit(conn: Connection, msg: tuple) -> None:
    """Send one message to the writer process (see above for its layout)."""
    raws: list[pickle.PickleBuffer] = []
    head = pickle.dumps(msg, protocol=5, buffer_callback=raws.append)
    views = [r.raw() for r in raws]
    sizes = struct.pack(f"<II{len(views)}Q", len(head), len(views), *[v.nbytes for v in views])
    if _GATHER:
        write_all(conn.fileno(), [sizes, head, *views])
    else:
        conn.send_bytes(b"".join([sizes, head, *views]))


def _read(fd: int, size: int) -> memoryview:
    """Exactly `size` bytes from `fd`; EOFError if it ends first."""
    out = memoryview(bytearray(size))
    done = 0
    while done < size:
        got = os.readv(fd, [out[done:]])
        if not got:
            raise EOFError
        done += got
    return out


def _receive(conn: Connection) -> Any:
    if _GATHER:
        fd = conn.fileno()
        head_size, count = _HEAD.unpack(_read(fd, _HEAD.size))
        sizes = struct.unpack(f"<{count}Q", _read(fd, 8 * count)) if count else ()
        body = _read(fd, head_size + sum(sizes))
    else:
        data = memoryview(conn.recv_bytes())
        head_size, count = _HEAD.unpack_from(data)
        sizes = struct.unpack_from(f"<{count}Q", data, _HEAD.size)
        body = data[_HEAD.size + 8 * count:]
    buffers, offset = [], head_size
    for size in sizes:
        buffers.append(body[offset:offset + size])
        offset += size
    return pickle.loads(body[:head_size], buffers=buffers)


def _widen(conn: Connection) -> None:
    """Let a whole episode (of small frames) fit in the pipe, so that handing it over never
    waits for the writer to read (Linux; elsewhere the default size stays)."""
    set_size = getattr(fcntl, "F_SETPIPE_SZ", 1031) if fcntl else None
    if set_size is None:
        return
    for size in (4 << 20, 1 << 20):
        try:
            fcntl.fcntl(conn.fileno(), set_size, size)
            return
        except OSError:
            continue


class DiskWriter:
    """Hands finished episodes to the writer process. `flush()` waits for all of them and
    raises if any failed; a writer process that died is replaced and the episodes it had
    not confirmed are written inline.

    A plain pipe, written from the calling thread: the loop process runs no helper thread.
    (A `ProcessPoolExecutor` pickles and sends from a feeder thread and collects results in
    a manager thread; both contend with the loop for the GIL, and measured as a third more
    CPU per step in the loop process for a writer that did nothing.)"""

    def __init__(self, max_pending: int = 8):
        self.max_pending = max_pending
        self._lock = threading.RLock()  # episodes of several threads share one writer
        self._pending: dict[int, EpisodeJob] = {}
        self._errors: list[str] = []
        self._seq = 0
        self._proc: BaseProcess | None = None
        self._jobs: Connection | None = None
        self._replies: Connection | None = None
        self._poller: Any = None  # select.poll on the answers' pipe
        self._start()

    def _start(self) -> None:
        ctx = mp.get_context("spawn")
        try:
            jobs_r, jobs_w = ctx.Pipe(duplex=False)
            replies_r, replies_w = ctx.Pipe(duplex=False)
            proc = ctx.Process(
                target=_serve, args=(jobs_r, replies_w, os.getpid()),
                name="agentloop-writer", daemon=True,
            )
            proc.start()  # starts now, overlapping env start-up
        except (OSError, AssertionError, RuntimeError):
            # No child processes here (e.g. inside a daemonic process): write inline.
            self._proc = None
            return
        jobs_r.close()
        replies_w.close()
        _widen(jobs_w)
        self._proc, self._jobs, self._replies = proc, jobs_w, replies_r
        if hasattr(select, "poll"):
            self._poller = select.poll()
            self._poller.register(replies_r.fileno(), select.POLLIN)

    def submit(self, job: EpisodeJob) -> None:
        with self._lock:
            if self._proc is None:
                self._inline(job)
                return
            self._seq += 1
            self._pending[self._seq] = job
            if not self._send(("write", self._seq, job)):
                return
            self._collect(block=False)
            while len(self._pending) > self.max_pending:  # back-pressure: bound the memory held
                if not self._collect(block=True):
                    break

    def _send(self, msg: tuple) -> bool:
        assert self._jobs is not None
        try:
            _transmit(self._jobs, msg)
            return True
        except (OSError, ValueError):  # the writer died: its pipe is closed
            self._recover()
            return False

    def _collect(self, block: bool) -> bool:
        """Take the writer's answers; with `block`, wait for at least one. False when the
        writer died (its unconfirmed episodes are then written inline)."""
        assert self._replies is not None and self._proc is not None
        while True:
            try:
                ready = self._ready(0.5 if block else 0)
                if not ready:
                    if block and not self._proc.is_alive():
                        self._recover()
                        return False
                    if block:
                        continue
                    return True
                seq, error, _ = self._replies.recv()
            except (EOFError, OSError):
                self._recover()
                return False
            job = self._pending.pop(seq, None)
            if error and job is not None:
                self._errors.append(error)
            block = False

    def _ready(self, timeout: float) -> bool:
        """Whether an answer (or the end of the pipe) waits. A `select.poll` made once, where
        there is one: `Connection.poll` builds a selector each call, and the check after each
        hand-over cost the loop 7 µs a step that way."""
        assert self._replies is not None
        if self._poller is None:
            return self._replies.poll(timeout)
        return bool(self._poller.poll(timeout * 1000))

    def _recover(self) -> None:
        """Replace a dead writer; write what it had not confirmed here."""
        orphans = list(self._pending.values())
        self._pending.clear()
        self._stop(wait=False)
        self._start()
        for job in orphans:
            self._inline(job)

    def _inline(self, job: EpisodeJob) -> None:
        try:
            write_episode(job)
        except Exception as e:
            self._errors.append(f"{job.final}: {e!r}")

    def cpu_seconds(self) -> float | None:
        """CPU time the writer process has used so far (None when writing inline)."""
        with self._lock:
            self.flush()
            if self._proc is None or self._replies is None:
                return None
            self._seq += 1
            if not self._send(("cpu", self._seq, None)):
                return None
            try:
                if self._replies.poll(30):
                    _, _, value = self._replies.recv()
                    return value
            except (EOFError, OSError):
                pass
            return None

    def flush(self) -> None:
        with self._lock:
            while self._pending and self._proc is not None:
                if not self._collect(block=True):
                    break
            if not self._errors:
                return
            errors, self._errors = self._errors, []
        raise OSError("recording failed: " + "; ".join(errors[:3]))

    def _stop(self, wait: bool) -> None:
        proc, jobs, replies = self._proc, self._jobs, self._replies
        self._proc = self._jobs = self._replies = self._poller = None
        if proc is None:
            return
        if wait and jobs is not None:
            try:
                _transmit(jobs, ("stop", 0, None))
            except (OSError, ValueError):
                pass
        for conn in (jobs, replies):
            if conn is not None:
                conn.close()
        proc.join(timeout=30 if wait else 1)
        if proc.is_alive():
            proc.kill()
            proc.join()

    def close(self) -> None:
        try:
            self.flush()
        finally:
            with self._lock:
                self._stop(wait=True)


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
