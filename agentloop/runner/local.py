"""Episodes on this machine: in this process, on its threads, or over worker processes.

Each thread owns one `Worker` (and so its envs); the threads of a process share one `Shared`
(frame pool and models), made and closed by the function that runs them. Processes are
started with `spawn` (safe with EGL and browser handles). A process that dies (a segfaulting
simulator, an OOM kill) has its in-flight episodes recorded as `error` and is replaced, so
the run goes on.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import threading
from collections import deque
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from pathlib import Path

from agentloop.errors import ConfigError, one_line
from agentloop.loop import EpisodeSpec, HumanInput
from agentloop.records import EpisodeRecord, RunConfig
from agentloop.runner.worker import Shared, Worker, land_error

OnDone = Callable[[EpisodeRecord], None]


def run_in_process(
    specs: list[EpisodeSpec], config: RunConfig, run_dir: Path, on_done: OnDone, human: HumanInput | None = None,
) -> None:
    """Run the episodes in this process: on this thread, or on `concurrency` threads."""
    with Shared() as shared:
        if config.concurrency <= 1 or human is not None:
            with Worker(config, run_dir, shared, human) as worker:
                for spec in specs:
                    on_done(worker.run(spec))
        else:
            _run_threads(specs, config, run_dir, shared, on_done)


def _run_threads(specs: list[EpisodeSpec], config: RunConfig, run_dir: Path, shared: Shared, on_done: OnDone) -> None:
    """Threads that each take episodes from one queue until it is empty. The first failure a
    thread meets stops the run: it is raised here once the other threads are done."""
    tasks: queue.SimpleQueue[EpisodeSpec | None] = queue.SimpleQueue()
    results: queue.SimpleQueue[EpisodeRecord | BaseException] = queue.SimpleQueue()
    n = min(config.concurrency, len(specs))
    for spec in [*specs, *[None] * n]:
        tasks.put(spec)

    def serve() -> None:
        with Worker(config, run_dir, shared) as worker:
            while (spec := tasks.get()) is not None:
                try:
                    results.put(worker.run(spec))
                except BaseException as e:
                    results.put(e)
                    return

    threads = [threading.Thread(target=serve, name=f"episode-{i}") for i in range(n)]
    for t in threads:
        t.start()
    try:
        for _ in specs:
            got = results.get()
            if isinstance(got, BaseException):
                raise got
            on_done(got)
    finally:
        _drain(tasks, n)
        for t in threads:
            t.join()


def _drain(tasks: queue.SimpleQueue[EpisodeSpec | None], threads: int) -> None:
    """Take back the episodes not yet started, so that every thread stops after its current one."""
    while True:
        try:
            tasks.get_nowait()
        except queue.Empty:
            break
    for _ in range(threads):
        tasks.put(None)


def _next(tasks: Queue, parent: int) -> EpisodeSpec | None:
    """The next episode, or None when told to stop or when the parent is gone (killed: the
    process would otherwise wait for work forever)."""
    while True:
        try:
            return tasks.get(timeout=1.0)
        except queue.Empty:
            if os.getppid() != parent:
                return None


def _process_main(config_json: str, run_dir: str, tasks: Queue, results: Queue, slot: int, parent: int) -> None:
    """A worker process: `concurrency` threads, each with its own worker, until told to stop."""
    config = RunConfig.model_validate_json(config_json)
    with Shared() as shared:

        def serve() -> None:
            with Worker(config, run_dir, shared) as worker:
                while (spec := _next(tasks, parent)) is not None:
                    try:
                        record = worker.run(spec)
                    except ConfigError as e:  # every episode would fail alike: the run stops
                        results.put((slot, e))
                        return
                    except Exception as e:
                        record = land_error(run_dir, spec, f"worker failed: {one_line(e)}")
                    results.put((slot, record))

        threads = [threading.Thread(target=serve) for _ in range(max(1, config.concurrency))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


class _Processes:
    """Worker processes, each with its own task queue and at most `concurrency` episodes at a
    time, so the parent always knows which episodes a dead process took with it."""

    def __init__(self, specs: list[EpisodeSpec], config: RunConfig, run_dir: Path) -> None:
        self._ctx = mp.get_context("spawn")
        self._results: Queue = self._ctx.Queue()
        self._todo = deque(specs)
        self._per_process = max(1, config.concurrency)
        self._config, self._run_dir = config.model_dump_json(), run_dir
        self._procs: dict[int, tuple[BaseProcess, Queue]] = {}
        self._held: dict[int, list[EpisodeSpec]] = {}
        self._slots = 0
        for _ in range(min(config.workers, len(specs))):
            self._start()

    def _start(self) -> None:
        slot, self._slots = self._slots, self._slots + 1
        tasks: Queue = self._ctx.Queue()
        proc = self._ctx.Process(
            target=_process_main, args=(self._config, str(self._run_dir), tasks, self._results, slot, os.getpid()),
        )
        proc.start()
        self._procs[slot], self._held[slot] = (proc, tasks), []
        self._feed(slot)

    def _feed(self, slot: int) -> None:
        while self._todo and len(self._held[slot]) < self._per_process:
            spec = self._todo.popleft()
            self._held[slot].append(spec)
            self._procs[slot][1].put(spec)

    def wait(self, timeout: float = 0.5) -> list[EpisodeRecord]:
        """The episodes finished since the last call (waiting up to `timeout` for one), and
        those lost with a process that died."""
        try:
            return self._take(*self._results.get(timeout=timeout))
        except queue.Empty:
            return self._reap()

    def _take(self, slot: int, record: EpisodeRecord | ConfigError) -> list[EpisodeRecord]:
        if isinstance(record, ConfigError):
            raise record
        held = self._held.get(slot, [])
        mine = [s for s in held if s.episode_id == record.episode_id]
        if not mine:  # already reported lost with its process
            return []
        held.remove(mine[0])
        if slot in self._procs:
            self._feed(slot)
        return [record]

    def _reap(self) -> list[EpisodeRecord]:
        dead = [slot for slot, (proc, _) in self._procs.items() if not proc.is_alive()]
        out: list[EpisodeRecord] = []
        while dead:  # what a dead process finished before it died is in the queue by now
            try:
                out += self._take(*self._results.get_nowait())
            except queue.Empty:
                break
        for slot in dead:
            proc, _ = self._procs.pop(slot)
            lost = self._held.pop(slot)
            out += [land_error(self._run_dir, s, f"worker process died (exit code {proc.exitcode})") for s in lost]
            if self._todo:
                self._start()
        return out

    def close(self) -> None:
        """Tell every process to stop after its episodes; stop those that do not."""
        for _, tasks in self._procs.values():
            for _ in range(self._per_process):
                tasks.put(None)
        for proc, _ in self._procs.values():
            proc.join(timeout=30)
            if proc.is_alive():
                proc.terminate()


def run_processes(specs: list[EpisodeSpec], config: RunConfig, run_dir: Path, on_done: OnDone) -> None:
    """Run the episodes over `workers` processes of `concurrency` threads each."""
    procs = _Processes(specs, config, run_dir)
    try:
        remaining = len(specs)
        while remaining > 0:
            for record in procs.wait():
                on_done(record)
                remaining -= 1
    finally:
        procs.close()
