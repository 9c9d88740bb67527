"""Where the served envs run: a few threads ("lanes"), each the home of the envs of the
sessions it is given, and the count of sessions against `--max-sessions`.

An env stays on the thread that made it: Playwright's sync API and an EGL context are bound
to their thread. Envs on one lane share what a thread holds once (the web envs share the
lane's Chromium, each session in its own browser context), so 64 sessions need neither 64
browsers nor 64 threads. A new session goes to the lane with the fewest, once it has a seat
(`seats.py`: counted in this process, or across the server's worker processes).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from agentloop.serve.seats import LocalSeats, Seats

T = TypeVar("T")


class Lane:
    """One thread that runs the env calls of the sessions placed on it, one call at a time."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.sessions = 0
        self._pool = ThreadPoolExecutor(1, thread_name_prefix=f"agentloop-lane-{index}")

    async def run(self, fn: Callable[[], T]) -> T:
        """Run `fn` on the lane's thread, awaiting its result without blocking the server."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn)

    def close(self) -> None:
        self._pool.shutdown(wait=True)


@dataclass(frozen=True)
class Place:
    """A session's place: its lane, and the seat it holds against `--max-sessions`."""

    lane: Lane
    seat: int


class Lanes:
    """The lanes, and the sessions they hold, at most `seats.max_sessions` of them in the whole
    server (thread-safe)."""

    def __init__(self, threads: int, max_sessions: int, seats: Seats | None = None) -> None:
        self.seats: Seats = seats if seats is not None else LocalSeats(max_sessions)
        self._lanes = [Lane(i) for i in range(max(1, threads))]
        self._lock = threading.Lock()

    @property
    def max_sessions(self) -> int:
        return self.seats.max_sessions

    @property
    def active(self) -> int:
        """Sessions live in the whole server (every worker's)."""
        return self.seats.active

    def claim(self) -> Place | None:
        """A place for a new session on the least loaded lane, or None when the server is full."""
        seat = self.seats.claim()
        if seat is None:
            return None
        with self._lock:
            lane = min(self._lanes, key=lambda candidate: candidate.sessions)
            lane.sessions += 1
        return Place(lane, seat)

    def release(self, place: Place) -> None:
        with self._lock:
            place.lane.sessions -= 1
        self.seats.release(place.seat)

    def close(self) -> None:
        """Wait for the calls in flight and stop the threads."""
        for lane in self._lanes:
            lane.close()
