"""Episodes over worker processes on this machine.

Each process runs `concurrency` threads; each thread owns one env. Processes are started with
`spawn` (safe with EGL and browser handles) and fed from one shared queue. A process that dies
(a segfaulting simulator, an OOM kill) has its in-flight episodes recorded as `error` and is
replaced, so the run goes on.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from agentloop.loop import EpisodeSpec
from agentloop.records import EpisodeRecord, RunConfig
from agentloop.runner.worker import Worker, _error_record, thread_worker

OnDone = Callable[[EpisodeRecord], None]


def run_in_process(
    specs: list[EpisodeSpec], config: RunConfig, run_dir: Path, on_done: OnDone, human=None,
) -> None:
    if config.concurrency <= 1 or human is not None:
        worker = Worker(config, run_dir, human=human)
        try:
            for spec in specs:
                on_done(worker.run(spec))
        finally:
            worker.close()
        return
    workers: list[Worker] = []
    lock = threading.Lock()

    def task(spec: EpisodeSpec) -> EpisodeRecord:
        w = thread_worker(config, run_dir)
        with lock:
            if w not in workers:
                workers.append(w)
        return w.run(spec)

    try:
        with ThreadPoolExecutor(config.concurrency, thread_name_prefix="episode") as pool:
            for rec in pool.map(task, specs):
                on_done(rec)
    finally:
        for w in workers:
            w.close()


def _process_main(config_json: str, run_dir: str, tasks: mp.Queue, results: mp.Queue, slot: int) -> None:
    config = RunConfig.model_validate_json(config_json)

    def thread_main() -> None:
        w = Worker(config, run_dir)
        try:
            while True:
                item = tasks.get()
                if item is None:
                    return
                spec = EpisodeSpec(**item)
                try:
                    rec = w.run(spec)
                except Exception as e:
                    rec = _error_record(spec, f"worker failed: {e!r}")
                results.put((slot, rec.model_dump_json()))
        finally:
            w.close()

    threads = [threading.Thread(target=thread_main) for _ in range(max(1, config.concurrency))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def run_processes(specs: list[EpisodeSpec], config: RunConfig, run_dir: Path, on_done: OnDone) -> None:
    """Each process gets its own task queue and at most `concurrency` episodes at a time, so
    the parent always knows which episodes a dead process took with it."""
    ctx = mp.get_context("spawn")
    results: mp.Queue = ctx.Queue()
    todo = [{"env_id": s.env_id, "seed": s.seed, "rollout": s.rollout} for s in specs]
    per_proc = max(1, config.concurrency)
    cfg = config.model_dump_json()
    procs: dict[int, tuple[mp.Process, mp.Queue]] = {}
    inflight: dict[int, list[dict]] = {}

    def start(slot: int) -> None:
        tasks: mp.Queue = ctx.Queue()
        # Not daemonic: a worker starts its own disk-writer process. The finally below makes
        # sure none outlives the run.
        p = ctx.Process(target=_process_main, args=(cfg, str(run_dir), tasks, results, slot))
        p.start()
        procs[slot] = (p, tasks)
        inflight[slot] = []

    def feed(slot: int) -> None:
        while todo and len(inflight[slot]) < per_proc:
            item = todo.pop(0)
            inflight[slot].append(item)
            procs[slot][1].put(item)

    for slot in range(min(config.workers, len(specs))):
        start(slot)
        feed(slot)
    next_slot = len(procs)
    remaining = len(specs)
    try:
        while remaining > 0:
            try:
                slot, payload = results.get(timeout=0.5)
            except queue.Empty:
                for slot, (p, _) in list(procs.items()):
                    if p.is_alive():
                        continue
                    # The process died: the episodes it held end as errors; a new one takes over.
                    for item in inflight.pop(slot, []):
                        spec = EpisodeSpec(**item)
                        rec = _error_record(spec, f"worker process died (exit code {p.exitcode})")
                        _write_error(run_dir, spec, rec)
                        on_done(rec)
                        remaining -= 1
                    del procs[slot]
                    if todo:
                        start(next_slot)
                        feed(next_slot)
                        next_slot += 1
                continue
            rec = EpisodeRecord.model_validate_json(payload)
            held = inflight.get(slot, [])
            inflight[slot] = [i for i in held if EpisodeSpec(**i).episode_id != rec.episode_id]
            on_done(rec)
            remaining -= 1
            if slot in procs:
                feed(slot)
    finally:
        for p, tasks in procs.values():
            for _ in range(per_proc):
                tasks.put(None)
        for p, _ in procs.values():
            p.join(timeout=30)
            if p.is_alive():
                p.terminate()


def _write_error(run_dir: Path, spec: EpisodeSpec, rec: EpisodeRecord) -> None:
    from agentloop.recording.episode import EpisodeWriter

    w = EpisodeWriter(run_dir, spec.episode_id, None, record_frames=False)
    w.finish(rec)

