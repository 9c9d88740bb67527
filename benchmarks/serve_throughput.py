"""Throughput of `agentloop serve` at 1, 16, 64 and 128 sessions, on one worker and on N (one per
core), beside what this machine can do at most: its cores ÷ the CPU seconds one step costs.

For each worker count a server runs in a subprocess on loopback. At each level that many
clients (one asyncio WebSocket session each, raw OpenEnv messages, frames on) connect, reset,
and then, together, play the env's scripted planner from the observations alone for `--steps`
calls each (resetting when an episode ends). The table gives steps per second over that span,
the client's p50/p95 round trip per call, the memory each session adds to the server (its
processes and their browsers, by proportional share), the CPU others used meanwhile (the
machine is shared), and the success of the episodes that ended. Each seed that ended anywhere is then replayed alone, one
session at a time: where an outcome differs the benchmark says so and exits 1.

The limit: one session alone on one worker plays `--alone-steps` calls; a step costs the CPU
seconds the server's processes and this client spent, per call (resets included, as in the
levels). limit = cores ÷ that cost, in steps per second; measured before and after the levels.

    python benchmarks/serve_throughput.py [--env agentloop/robot.pick-place] [--levels 1 16 64 128] [--steps 8]
    python benchmarks/serve_throughput.py --env agentloop/miniwob.click-button --levels 1 16

Target: 64 robot.pick-place sessions reach 85 % of the limit, with the outcomes they have alone.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
import psutil
from rich.console import Console
from rich.table import Table
from serve_latency import Policy  # beside this script: the same observation-fed planner
from websockets.asyncio.client import connect

import agentloop  # noqa: F401  (registers the envs)

HOST = "127.0.0.1"
EPISODE_CAP = 40  # calls an alone replay may take before it counts as not ended


@dataclass
class Tally:
    """What one level's clients measured."""

    steps: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    outcomes: dict[int, bool] = field(default_factory=dict)  # seed -> success, episodes that ended


class Wire:
    """One OpenEnv WebSocket session, spoken raw (the client's own cost kept small)."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    async def ask(self, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        await self.ws.send(json.dumps({"type": kind, "data": data}))
        reply = json.loads(await self.ws.recv())
        if reply["type"] == "error":
            raise RuntimeError(reply["data"]["message"])
        return dict(reply["data"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def server(env_id: str, workers: int, max_sessions: int) -> Iterator[tuple[str, psutil.Process]]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "agentloop", "serve", env_id, "--host", HOST, "--port", str(port),
                             "--max-sessions", str(max_sessions), "--workers", str(workers)],
                            env={**os.environ, "MUJOCO_GL": "egl"}, stdout=subprocess.DEVNULL)
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            time.sleep(0.3)
        yield url, psutil.Process(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=120)


def _tree(proc: psutil.Process) -> list[psutil.Process]:
    return [proc, *proc.children(recursive=True)]


def cpu_s(proc: psutil.Process) -> float:
    """CPU seconds the server's processes (browsers included) and this client have spent."""
    total = 0.0
    for p in [*_tree(proc), psutil.Process()]:
        with contextlib.suppress(psutil.NoSuchProcess):
            t = p.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
    return total


def rss_mb(proc: psutil.Process) -> float:
    """Memory of the server's processes in MB: their proportional share (PSS) where the system
    tells it, since a browser's processes share most of their pages and their RSS counts those
    pages once per process."""
    total = 0
    for p in _tree(proc):
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            info = p.memory_full_info()
            total += getattr(info, "pss", info.rss)
    return total / 2**20


def busy_s() -> float:
    """CPU seconds the whole machine has spent (every process, ours and others')."""
    t = psutil.cpu_times()
    return t.user + t.nice + t.system + t.irq + t.softirq + getattr(t, "steal", 0.0)


async def client(url: str, env_id: str, index: int, steps: int, tally: Tally, ready: asyncio.Barrier) -> None:
    policy, seed, waits = Policy(env_id), index * 1000, 0
    try:
        async with connect(url.replace("http", "ws") + "/ws", max_size=None, open_timeout=600, ping_timeout=None) as ws:
            wire = Wire(ws)
            result = await wire.ask("reset", {"seed": seed})
            for _ in (1, 2):  # every session has its env (memory is read), then the timed span starts together
                await ready.wait()
                waits += 1
            for _ in range(steps):
                t0 = time.perf_counter()
                result = await wire.ask("step", {"action": policy(result["observation"])})
                tally.steps.append(time.perf_counter() - t0)
                if result["done"]:
                    tally.outcomes[seed] = bool(result["observation"]["success"])
                    seed += 1
                    result = await wire.ask("reset", {"seed": seed})
    except Exception as e:  # counted, reported: the target is none at all
        tally.errors.append(f"client {index}: {e!r}")
        for _ in range(waits, 2):  # the others are not kept waiting for this one
            await ready.wait()


@dataclass
class Level:
    """One level's measures."""

    sessions: int
    tally: Tally
    wall: float
    cpu: float
    client_cpu: float
    others: float
    mb_per_session: float


async def level(url: str, proc: psutil.Process, env_id: str, sessions: int, steps: int) -> Level:
    tally, idle_mb = Tally(), rss_mb(proc)
    ready = asyncio.Barrier(sessions + 1)
    tasks = [asyncio.create_task(client(url, env_id, i, steps, tally, ready)) for i in range(sessions)]
    await ready.wait()
    mb = (rss_mb(proc) - idle_mb) / sessions
    cpu0, busy0, t0, own0 = cpu_s(proc), busy_s(), time.perf_counter(), time.process_time()
    await ready.wait()
    await asyncio.gather(*tasks)
    wall, cpu = time.perf_counter() - t0, cpu_s(proc) - cpu0
    others = max(0.0, busy_s() - busy0 - cpu) / wall
    return Level(sessions, tally, wall, cpu, time.process_time() - own0, others, mb)


async def replay_alone(url: str, env_id: str, seeds: list[int]) -> dict[int, bool]:
    """Each seed's episode played to its end with no other session live."""
    out: dict[int, bool] = {}
    for seed in seeds:
        _drained(url)  # the session before has let go of its place
        async with connect(url.replace("http", "ws") + "/ws", max_size=None, open_timeout=600) as ws:
            wire, policy = Wire(ws), Policy(env_id)
            result = await wire.ask("reset", {"seed": seed})
            for _ in range(EPISODE_CAP):
                result = await wire.ask("step", {"action": policy(result["observation"])})
                if result["done"]:
                    out[seed] = bool(result["observation"]["success"])
                    break
    return out


def step_cost(url: str, proc: psutil.Process, env_id: str, steps: int) -> float:
    """CPU seconds per call of one session alone (resets included)."""
    lvl = asyncio.run(level(url, proc, env_id, 1, steps))
    if lvl.tally.errors:
        raise RuntimeError(f"alone: {lvl.tally.errors[0]}")
    print(f"a step alone: {lvl.cpu / max(1, len(lvl.tally.steps)) * 1e3:.0f} ms CPU, the client's "
          f"{lvl.client_cpu / max(1, len(lvl.tally.steps)) * 1e3:.0f} ms of it", file=sys.stderr, flush=True)
    return lvl.cpu / max(1, len(lvl.tally.steps))


def _drained(url: str, timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while httpx.get(f"{url}/sessions", timeout=10).json()["active_sessions"] and time.monotonic() < deadline:
        time.sleep(0.2)


def row(workers: int, lvl: Level, limit: float, alone: dict[int, bool]) -> tuple[list[str], list[str]]:
    """The table's row for a level, and what it found wrong."""
    t = lvl.tally
    rate = len(t.steps) / lvl.wall if lvl.wall else 0.0
    p50 = statistics.median(t.steps) * 1e3 if t.steps else float("nan")
    p95 = float(np.percentile(t.steps, 95)) * 1e3 if t.steps else float("nan")
    ended = {s: ok for s, ok in t.outcomes.items() if s in alone}
    differ = [s for s, ok in ended.items() if alone[s] != ok]
    # The machine is shared: the limit on the cores others left free meanwhile, beside the whole one.
    free = max(0.05, 1.0 - lvl.others / (os.cpu_count() or 1))
    cells = [str(workers), str(lvl.sessions), str(len(t.steps)), f"{rate:.1f}", f"{100 * rate / limit:.0f} %",
             f"{100 * rate / (limit * free):.0f} %",
             f"{p50:.0f}", f"{p95:.0f}", f"{lvl.mb_per_session:.1f}", f"{lvl.others:.2f}",
             f"{sum(t.outcomes.values())}/{len(t.outcomes)}", f"{sum(alone[s] for s in ended)}/{len(ended)}",
             "same" if not differ else f"DIFFERENT ({len(differ)})"]
    problems = [f"{workers} workers, {lvl.sessions} sessions: {e}" for e in t.errors[:5]]
    if differ:
        problems.append(f"{workers} workers, {lvl.sessions} sessions: seeds {sorted(differ)[:12]} end otherwise "
                        "than alone")
    if len(ended) < len(t.outcomes):
        problems.append(f"{workers} workers, {lvl.sessions} sessions: {len(t.outcomes) - len(ended)} seeds not "
                        "ended alone within the cap")
    return cells, problems


def measure(args: argparse.Namespace) -> tuple[list[tuple[int, Level]], float, float, dict[int, bool]]:
    """Every level on 1 and N workers; the step cost alone before and after; the alone outcomes."""
    cores = os.cpu_count() or 1
    levels: list[tuple[int, Level]] = []
    with server(args.env, 1, max(args.levels)) as (url, proc):
        before = step_cost(url, proc, args.env, args.alone_steps)
    for workers in sorted({1, args.workers or cores}):
        with server(args.env, workers, max(args.levels)) as (url, proc):
            for n in args.levels:
                _drained(url)
                levels.append((workers, asyncio.run(level(url, proc, args.env, n, args.steps))))
                print(f"{workers} workers, {n} sessions: {levels[-1][1].wall:.1f} s", file=sys.stderr, flush=True)
    with server(args.env, 1, max(args.levels)) as (url, proc):
        after = step_cost(url, proc, args.env, args.alone_steps)
        seeds = sorted({s for _, lvl in levels for s in lvl.tally.outcomes})
        alone = asyncio.run(replay_alone(url, args.env, seeds))
    return levels, before, after, alone


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--env", default="agentloop/robot.pick-place")
    ap.add_argument("--levels", type=int, nargs="+", default=[1, 16, 64, 128])
    ap.add_argument("--steps", type=int, default=4, help="calls per session per level")
    ap.add_argument("--alone-steps", type=int, default=40, help="calls of the session alone that prices a step")
    ap.add_argument("--workers", type=int, default=None, help="N (default: one per core)")
    args = ap.parse_args()
    cores = os.cpu_count() or 1
    levels, before, after, alone = measure(args)
    cost = (before + after) / 2
    limit = cores / cost
    table = Table(title=f"agentloop serve {args.env}: throughput on {cores} cores; a step costs {cost * 1e3:.0f} ms "
                        f"CPU alone ({before * 1e3:.0f} before, {after * 1e3:.0f} after): limit {limit:.1f} steps/s")
    for col in ("workers", "sessions", "calls", "steps/s", "of limit", "of free limit", "p50 ms", "p95 ms", "MB/session",
                "others' cores", "success", "alone", "outcomes"):
        table.add_column(col, justify="right")
    problems: list[str] = []
    for workers, lvl in levels:
        cells, found = row(workers, lvl, limit, alone)
        table.add_row(*cells)
        problems += found
    Console(width=180).print(table)
    for line in problems:
        print(f"FAIL {line}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
