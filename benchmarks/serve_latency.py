"""Step latency of `agentloop serve` with 1, 16 and 64 concurrent sessions, as OpenEnv clients
see it: openenv-core's `GenericEnvClient` over WebSocket, every observation with its frame.

One server (`--max-sessions` = the largest level) runs in a subprocess on loopback; for each
level that many clients connect at once, reset, and play the env's scripted planner from the
observations alone (resetting when an episode ends) for `--steps` calls each. A call's
latency is the client's round trip: critic, skill, validator, PNG frame, JSON, socket.

Each client plays the same seeds at every level, and the largest level's clients also play
them one session at a time ("alone"). An episode's outcome must not depend on the sessions
beside it: where a seed ends otherwise at N sessions than alone, the benchmark names the seeds
and exits 1 (as it does on any client error).

    python benchmarks/serve_latency.py [--env agentloop/robot.pick-place] [--levels 1 16 64] [--steps 6]
    python benchmarks/serve_latency.py --env agentloop/miniwob.click-button --levels 1 16

Target: 64 sessions of robot.pick-place and 16 of miniwob.click-button without errors, each
episode ending as it does alone.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import httpx
import numpy as np
import psutil
from openenv.core.generic_client import GenericEnvClient
from rich.console import Console
from rich.table import Table

import agentloop  # noqa: F401  (registers the envs)
from agentloop.calls import SkillSpec
from agentloop.context import Context
from agentloop.env import SCRIPTED_PLANNER
from agentloop.perception import Perception
from agentloop.plugins import load_object
from agentloop.scene import SceneGraph

HOST = "127.0.0.1"


@dataclass
class Tally:
    """What one level's clients measured."""

    steps: list[float] = field(default_factory=list)
    resets: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    outcomes: dict[int, bool] = field(default_factory=dict)  # seed -> success, episodes that ended

    @property
    def successes(self) -> int:
        return sum(self.outcomes.values())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def server(env_id: str, max_sessions: int) -> Iterator[tuple[str, subprocess.Popen]]:
    port = _free_port()
    code = "import sys, agentloop.cli.serve; from agentloop.cli import main; raise SystemExit(main(sys.argv[1:]))"
    proc = subprocess.Popen([sys.executable, "-c", code, "serve", env_id, "--host", HOST, "--port", str(port),
                             "--max-sessions", str(max_sessions)], env={**os.environ, "MUJOCO_GL": "egl"})
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            time.sleep(0.3)
        yield url, proc
    finally:
        proc.terminate()
        proc.wait(timeout=120)


class Policy:
    """The env's scripted planner, fed only what the observation carries."""

    def __init__(self, env_id: str) -> None:
        self.env_id = env_id
        self.path = load_object(gym.spec(env_id).entry_point).metadata[SCRIPTED_PLANNER]
        self.planner: Any = None

    def __call__(self, obs: dict[str, Any]) -> str:
        ctx = Context(self.env_id, Perception(
            scene_graph=SceneGraph.model_validate(obs["scene_graph"]), goal=obs["goal"], task=obs["task"],
            skills=[SkillSpec(**s) for s in obs["skills"]], extra=obs["extra"]), {"text": obs["text"]})
        if self.planner is None or obs["step"] == 0:
            self.planner = load_object(self.path)()
            self.planner.reset(ctx)
        return str(self.planner.propose(ctx).action)


async def client(url: str, env_id: str, index: int, steps: int, tally: Tally) -> None:
    policy, seed = Policy(env_id), index * 1000
    try:
        async with GenericEnvClient(base_url=url, connect_timeout_s=300, message_timeout_s=600) as env:
            result = await env.reset(seed=seed)  # makes the session's env: not timed
            for _ in range(steps):
                t0 = time.perf_counter()
                result = await env.step({"action": policy(result.observation)})
                tally.steps.append(time.perf_counter() - t0)
                if result.done:
                    tally.outcomes[seed] = bool(result.observation["success"])
                    seed += 1
                    t0 = time.perf_counter()
                    result = await env.reset(seed=seed)
                    tally.resets.append(time.perf_counter() - t0)
    except Exception as e:  # counted, reported: the target is none at all
        tally.errors.append(f"client {index}: {e!r}")


async def level(url: str, env_id: str, sessions: int, steps: int) -> tuple[Tally, float]:
    tally = Tally()
    t0 = time.perf_counter()
    await asyncio.gather(*(client(url, env_id, i, steps, tally) for i in range(sessions)))
    return tally, time.perf_counter() - t0


async def alone(url: str, env_id: str, sessions: int, steps: int) -> Tally:
    """The clients of a level one after another: each episode with no session beside it."""
    tally = Tally()
    for i in range(sessions):
        await client(url, env_id, i, steps, tally)
    return tally


def differences(level: Tally, base: Tally) -> list[str]:
    """Seeds that ended at this level and alone, with another outcome here."""
    return [f"seed {s}: {'success' if base.outcomes[s] else 'failure'} alone, "
            f"{'success' if ok else 'failure'} here" for s, ok in sorted(level.outcomes.items())
            if s in base.outcomes and base.outcomes[s] != ok]


def _drained(url: str, timeout_s: float = 300) -> None:
    """Wait until the last level's sessions have closed their envs: a level starts on an empty
    server, or its last clients would be refused as over `--max-sessions`."""
    deadline = time.monotonic() + timeout_s
    while httpx.get(f"{url}/sessions", timeout=10).json()["active_sessions"] and time.monotonic() < deadline:
        time.sleep(0.2)


def _rss_mb(pid: int) -> float:
    """Resident memory of the server and everything it started (browsers), in MB."""
    proc = psutil.Process(pid)
    procs = [proc, *proc.children(recursive=True)]
    return sum(p.memory_info().rss for p in procs if p.is_running()) / 2**20


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--env", default="agentloop/robot.pick-place")
    ap.add_argument("--levels", type=int, nargs="+", default=[1, 16, 64])
    ap.add_argument("--steps", type=int, default=6, help="calls per client per level")
    args = ap.parse_args()
    table = Table(title=f"agentloop serve {args.env}: step latency ({os.cpu_count()} cores)")
    for col in ("sessions", "calls", "step p50 ms", "step p95 ms", "reset p50 ms", "errors", "success", "alone",
                "level s", "load avg", "RSS MB"):
        table.add_column(col, justify="right")
    problems: list[str] = []
    with server(args.env, max(args.levels)) as (url, proc):
        base = asyncio.run(alone(url, args.env, max(args.levels), args.steps))
        problems += [f"alone: {e}" for e in base.errors]
        for n in args.levels:
            _drained(url)
            load0 = os.getloadavg()[0]
            tally, wall = asyncio.run(level(url, args.env, n, args.steps))
            rss = _rss_mb(proc.pid)
            p50 = statistics.median(tally.steps) * 1e3 if tally.steps else float("nan")
            p95 = float(np.percentile(tally.steps, 95)) * 1e3 if tally.steps else float("nan")
            r50 = statistics.median(tally.resets) * 1e3 if tally.resets else float("nan")
            same = {s: base.outcomes[s] for s in tally.outcomes if s in base.outcomes}
            table.add_row(str(n), str(len(tally.steps)), f"{p50:.0f}", f"{p95:.0f}", f"{r50:.0f}", str(len(tally.errors)),
                          f"{tally.successes}/{len(tally.outcomes)}", f"{sum(same.values())}/{len(same)}",
                          f"{wall:.0f}", f"{load0:.1f}->{os.getloadavg()[0]:.1f}", f"{rss:.0f}")
            problems += [f"{n} sessions: {e}" for e in tally.errors]
            diff = differences(tally, base)
            if diff:
                problems.append(f"{n} sessions: {len(diff)} of {len(same)} episodes end otherwise than alone: "
                                + "; ".join(diff[:8]))
    Console(width=160).print(table)
    for line in problems:
        print(f"FAIL {line}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
