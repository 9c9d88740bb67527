"""Where the served envs run: a few threads ("lanes"), each the home of the envs of the
sessions it is given, and the count of sessions against `--max-sessions`.

An env stays on the thread that made it: Playwright's sync API and an EGL context are bound
to their thread. Envs on one lane share what a thread holds once (the web envs share the
lane's Chromium, each session in its own browser context), so 64 sessions need neither 64
browsers nor 64 threads. A new session goes to the lane with the fewest.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

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


class Lanes:
    """The lanes, and the sessions they hold, at most `max_sessions` of them (thread-safe)."""

    def __init__(self, threads: int, max_sessions: int) -> None:
        self.max_sessions = max_sessions
        self._lanes = [Lane(i) for i in range(max(1, threads))]
        self._lock = threading.Lock()

    @property
    def active(self) -> int:
        with self._lock:
            return sum(lane.sessions for lane in self._lanes)

    def claim(self) -> Lane | None:
        """A place for a new session on the least loaded lane, or None when the server is full."""
        with self._lock:
            if sum(lane.sessions for lane in self._lanes) >= self.max_sessions:
                return None
            lane = min(self._lanes, key=lambda candidate: candidate.sessions)
            lane.sessions += 1
            return lane

    def release(self, lane: Lane) -> None:
        with self._lock:
            lane.sessions -= 1

    def close(self) -> None:
        """Wait for the calls in flight and stop the threads."""
        for lane in self._lanes:
            lane.close()
