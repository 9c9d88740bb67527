"""What the server's processes share: places for sessions, `--max-sessions` of them, and the
numbers of the rollouts they record.

One process counts its sessions itself (`LocalSeats`). Behind `--workers N`, uvicorn's worker
processes share the count through files (`SharedSeats`): a session holds an exclusive `flock`
on one of `max_sessions` seat files in the server's state folder for as long as it lives.
uvicorn spawns its workers itself, so there is no hook to hand them a `multiprocessing.Value`;
and a lock, unlike a counter, is dropped by the kernel when its process dies, so a worker that
crashes never leaves seats taken. The count itself (`/sessions`) probes every seat under a
guard lock that claims take too, so a probe never makes a claim miss a free seat.

Recorded rollouts of one task and seed are numbered in the order they start, whichever worker
runs them (`SharedRecorder`): a number is taken by creating its file in the state folder, which
exactly one process can do, so a server of N workers names its episodes as one process does.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from agentloop.integrations.recorder import RolloutRecorder
from agentloop.loop import EpisodeSpec
from agentloop.records import RunConfig


class Seats(Protocol):
    """Where the server's sessions are counted against its `max_sessions`."""

    max_sessions: int

    @property
    def active(self) -> int: ...

    def claim(self) -> int | None:
        """A token for a new session's seat, or None when the server is full."""

    def release(self, seat: int) -> None: ...


class LocalSeats:
    """The seats of a server that is one process (thread-safe)."""

    def __init__(self, max_sessions: int) -> None:
        self.max_sessions = max_sessions
        self._taken = 0
        self._lock = threading.Lock()

    @property
    def active(self) -> int:
        return self._taken

    def claim(self) -> int | None:
        with self._lock:
            if self._taken >= self.max_sessions:
                return None
            self._taken += 1
            return self._taken

    def release(self, seat: int) -> None:
        with self._lock:
            self._taken -= 1


class SharedSeats:
    """The seats of a server of several processes: one locked file per live session in
    `folder`; a seat's token is the descriptor that holds the lock (closing it frees the seat)."""

    def __init__(self, folder: Path | str, max_sessions: int) -> None:
        self.folder = Path(folder)
        self.max_sessions = max_sessions

    @property
    def active(self) -> int:
        with self._guarded():
            taken = 0
            for i in range(self.max_sessions):
                fd = self._try(i)
                if fd is None:
                    taken += 1
                else:
                    os.close(fd)
            return taken

    def claim(self) -> int | None:
        with self._guarded():
            for i in range(self.max_sessions):
                fd = self._try(i)
                if fd is not None:
                    return fd
        return None

    def release(self, seat: int) -> None:
        os.close(seat)  # the lock goes with the descriptor

    def _try(self, i: int) -> int | None:
        """A descriptor holding seat `i`'s lock, or None when another holds it."""
        return try_lock(self.folder / f"seat-{i}.lock")

    @contextlib.contextmanager
    def _guarded(self) -> Iterator[None]:
        import fcntl  # POSIX only: a server of one process (LocalSeats) needs none

        fd = os.open(self.folder / "guard.lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def try_lock(path: Path) -> int | None:
    """An open descriptor holding an exclusive lock on `path`, or None when it is held."""
    import fcntl

    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


class SharedRecorder(RolloutRecorder):
    """The recorder of one worker of a server whose workers record into one run folder: rollout
    numbers are claimed in `claims` (a folder the workers share), one process each."""

    def __init__(self, run_dir: Path | str, config: RunConfig, record_frames: bool, claims: Path) -> None:
        super().__init__(run_dir, config, record_frames)
        self.claims = claims
        claims.mkdir(exist_ok=True)

    def spec(self, env_id: str, seed: int) -> EpisodeSpec:
        """The next rollout of `env_id` at `seed` that no worker (nor an earlier run) took."""
        for n in itertools.count():
            spec = EpisodeSpec(env_id=env_id, seed=seed, rollout=n)
            if (self.run.episodes_dir / spec.episode_id).exists():
                continue
            try:
                os.close(os.open(self.claims / spec.episode_id, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            except FileExistsError:
                continue
            return spec
        raise AssertionError("unreachable")
