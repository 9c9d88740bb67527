"""What the runtime and its recording cost, measured where it matters.

Toy env (the default): a bare Gymnasium loop with the same decisions (the floor), the
agentloop loop with recording off, and with recording on (steps.jsonl, PNG frames, episode.json
landed by rename, as `agentloop run` writes them). Target: the runtime's overhead with
recording, agentloop-with-recording minus the bare loop, under 2 ms a step.

Real envs (`--env ID`, repeatable; `--pairs` for robot.pick-place and miniwob.click-button):
recording on against off with the scripted planner, rule critic and effect validator, on the
same seeds. Target: recording on within 3 % of off in wall time.

Method: each round runs recording off and on twice each, in A-B-B-A order (B-A-A-B in every
other round), each run the same few episodes; the toy's rounds end with the bare loop. The
machine's speed drifts, so the on/off ratio is taken within each round, and the median over
the rounds is reported with a distribution-free 95 % interval. `--aa` runs recording off on
both sides: the method's own noise. Beside the wall ratio: the CPU time recording adds a step
(the process's, its frame-encoding threads included), which other processes on the machine
hardly move; set against a step's wall time it bounds what recording can cost, were none of
it to run beside the loop.

    python benchmarks/loop_overhead.py [--rounds 60] [--per-run 3] [--lamps 40] [--aa]
    python benchmarks/loop_overhead.py --pairs [--rounds 10] [--per-run 3]
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("MUJOCO_GL", "egl")

import gymnasium as gym
from rich.console import Console
from rich.table import Table

from agentloop import registry
from agentloop.adapter import as_skill_env
from agentloop.context import Context
from agentloop.loop import EpisodeSpec, LoopLimits, run_episode
from agentloop.recording import EpisodeWriter, FramePool
from agentloop.records import RunConfig
from agentloop.roles import Roles
from agentloop.roles.factory import build_roles
from agentloop.runner.worker import episode_step_limit
from agentloop.testing.switches import SwitchesEnv, SwitchesPlanner

PAIRS = ["agentloop/robot.pick-place", "agentloop/miniwob.click-button"]
BARE, OFF, ON = "bare gymnasium", "agentloop, recording off", "agentloop, recording on"
TOY = "agentloop/toy.switches"


@dataclass
class Bench:
    """One env under test: how to make an episode's roles, and where recordings go."""

    env_id: str
    env: gym.Env[Any, Any]
    roles: Callable[[], Roles]
    max_steps: int
    out: Path
    frames: FramePool
    runs: int = 0

    def episode(self, seed: int, record: bool) -> int:
        """One episode through the loop, landed in a run folder of its own when recorded."""
        spec = EpisodeSpec(self.env_id, seed)
        sink = None
        if record:
            self.runs += 1
            sink = EpisodeWriter(self.out / f"run-{self.runs}", spec.episode_id, self.frames)
        res = run_episode(self.env, spec, self.roles(), LoopLimits(max_steps=self.max_steps), sink)
        if sink is not None:
            sink.finish(res.record)
        return res.record.steps


def bare_episode(env: SwitchesEnv, seed: int) -> int:
    """Plain Gymnasium: the scripted planner's decision and env.step, nothing else."""
    planner = SwitchesPlanner()
    obs, info = env.reset(seed=seed)
    steps, done = 0, False
    while not done:
        ctx = Context.of(TOY, obs, info, env.skillset)
        obs, _, term, trunc, info = env.step(planner.next_action(ctx))
        steps, done = steps + 1, term or trunc
    return steps


@dataclass
class Readings:
    """Seconds and steps per run, by side, and the on/off ratio of each round."""

    wall: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in (BARE, OFF, ON)})
    cpu: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in (BARE, OFF, ON)})
    steps: dict[str, list[int]] = field(default_factory=lambda: {k: [] for k in (BARE, OFF, ON)})
    ratios: list[float] = field(default_factory=list)
    # Seconds of CPU recording adds a step (its encoding threads included), within each round:
    # CPU time drifts far less than wall time on a shared machine.
    cpu_added: list[float] = field(default_factory=list)

    def per_step(self, side: str, what: str = "wall") -> float:
        """Median over the runs of seconds a step."""
        values = self.wall[side] if what == "wall" else self.cpu[side]
        return statistics.median(v / n for v, n in zip(values, self.steps[side]))


def timed(run: Callable[[], int]) -> tuple[float, float, int]:
    c, t = time.process_time(), time.perf_counter()
    steps = run()
    return time.perf_counter() - t, time.process_time() - c, steps


def one_round(r: int, bench: Bench, seeds: list[int], out: Readings, aa: bool, bare: SwitchesEnv | None) -> None:
    """Off and on twice each, in A-B-B-A order (B-A-A-B in odd rounds); then the bare loop."""
    order = [OFF, ON, ON, OFF] if r % 2 == 0 else [ON, OFF, OFF, ON]
    total = {side: [0.0, 0.0, 0] for side in (OFF, ON)}  # wall, CPU, steps
    for side in order:
        record = side == ON and not aa
        wall, cpu, steps = timed(lambda record=record: sum(bench.episode(s, record) for s in seeds))
        out.wall[side].append(wall)
        out.cpu[side].append(cpu)
        out.steps[side].append(steps)
        total[side] = [total[side][0] + wall, total[side][1] + cpu, total[side][2] + steps]
    (w_off, c_off, n_off), (w_on, c_on, n_on) = total[OFF], total[ON]
    out.ratios.append((w_on / n_on) / (w_off / n_off))
    out.cpu_added.append(c_on / n_on - c_off / n_off)
    if bare is not None:
        wall, cpu, steps = timed(lambda: sum(bare_episode(bare, s) for s in seeds))
        out.wall[BARE].append(wall)
        out.cpu[BARE].append(cpu)
        out.steps[BARE].append(steps)


def median_interval(xs: list[float], level: float = 0.95) -> tuple[float, float]:
    """A distribution-free interval for the median: the order statistics k and n-k+1, with k
    the largest rank such that fewer than k of n values fall below the median with
    probability at most (1 - level) / 2 (a binomial count)."""
    xs, n = sorted(xs), len(xs)
    tail, k, below = (1 - level) / 2, 0, 0.0
    while k < n // 2:
        below += math.comb(n, k) / 2**n  # P(exactly k values below the median)
        if below > tail:
            break
        k += 1
    return (xs[k - 1], xs[n - k]) if k else (xs[0], xs[-1])


def measure(bench: Bench, args: argparse.Namespace, bare: SwitchesEnv | None) -> Readings:
    """Warm up (imports, caches, the first frames), then the rounds."""
    for seed in range(2):
        bench.episode(seed, record=True)
        bench.episode(seed, record=False)
    readings = Readings()
    for r in range(args.rounds):
        seeds = [(r * args.per_run + i) % args.seeds for i in range(args.per_run)]
        one_round(r, bench, seeds, readings, args.aa, bare)
    return readings


def ratio_text(m: Readings) -> str:
    low, high = median_interval(m.ratios)
    return (f"{(statistics.median(m.ratios) - 1) * 100:+.1f} % (95 % interval "
            f"{(low - 1) * 100:+.1f} … {(high - 1) * 100:+.1f} %, {len(m.ratios)} rounds)")


def cpu_text(xs: list[float]) -> str:
    low, high = median_interval(xs)
    return f"{statistics.median(xs) * 1e3:.2f} ms ({low * 1e3:.2f} … {high * 1e3:.2f})"


def report_toy(m: Readings, args: argparse.Namespace, console: Console) -> None:
    floor, cpu_floor = m.per_step(BARE), m.per_step(BARE, "cpu")
    table = Table(title=f"toy env ({args.lamps} lamps), per step: median of the runs ({args.per_run} episodes a run)")
    for col in ("loop", "ms / step", "overhead vs bare", "CPU ms / step", "CPU overhead vs bare"):
        table.add_column(col, justify="left" if col == "loop" else "right")
    for side in (BARE, OFF, ON):
        wall, cpu = m.per_step(side), m.per_step(side, "cpu")
        bare = side == BARE
        table.add_row(side, f"{wall * 1e3:.3f}", "-" if bare else f"{(wall - floor) * 1e3:.3f} ms",
                      f"{cpu * 1e3:.3f}", "-" if bare else f"{(cpu - cpu_floor) * 1e3:.3f} ms")
    console.print(table)
    overhead = (m.per_step(ON) - floor) * 1e3
    console.print(f"runtime overhead with recording{' (--aa: off)' if args.aa else ''}: {overhead:.3f} ms/step "
                  f"({'within' if overhead < 2 else 'OVER'} the 2 ms target)")
    console.print(f"recording {'off vs off (--aa)' if args.aa else 'on vs off'}, wall: {ratio_text(m)}; "
                  f"CPU recording adds a step: {cpu_text(m.cpu_added)}")


def report_pairs(results: dict[str, Readings], args: argparse.Namespace, console: Console) -> None:
    table = Table(title=f"recording on vs off, scripted planner: {args.rounds} rounds, {args.per_run} episodes a run")
    cols = ("env", "steps / run", "off ms / step", "on ms / step", "on vs off, wall", "95 % interval",
            "recording CPU / step (95 %)", "target 3 %")
    for col in cols:
        table.add_column(col, justify="left" if col == "env" else "right")
    for env_id, m in results.items():
        mid = statistics.median(m.ratios) - 1
        low, high = (x - 1 for x in median_interval(m.ratios))
        verdict = "within" if max(abs(low), abs(high)) <= 0.03 else "median within" if abs(mid) <= 0.03 else "OVER"
        table.add_row(
            env_id.split("/")[-1], f"{statistics.median(m.steps[OFF]):.0f}", f"{m.per_step(OFF) * 1e3:.1f}",
            f"{m.per_step(ON) * 1e3:.1f}", f"{mid * 100:+.1f} %", f"{low * 100:+.1f} … {high * 100:+.1f} %",
            cpu_text(m.cpu_added), verdict,
        )
    console.print(table)


def measure_env(env_id: str, args: argparse.Namespace, out: Path, frames: FramePool) -> Readings:
    """A registered env with its scripted planner, rule critic and effect validator, as
    `agentloop run ENV` runs it."""
    config = RunConfig(env_id=env_id)
    env = as_skill_env(registry.make(env_id))
    try:
        bench = Bench(env_id, env, lambda: build_roles(config, env), episode_step_limit(config, env), out, frames)
        return measure(bench, args, None)
    finally:
        env.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--env", action="append", default=[], help="pair recording on/off on this env (repeatable)")
    ap.add_argument("--pairs", action="store_true", help=f"pair recording on/off on {' and '.join(PAIRS)}")
    ap.add_argument("--rounds", type=int, default=None, help="rounds (default: 60 on the toy env, 10 on real envs)")
    ap.add_argument("--per-run", type=int, default=3, help="episodes a run")
    ap.add_argument("--seeds", type=int, default=10, help="episode seeds, taken in turn by the rounds")
    ap.add_argument("--lamps", type=int, default=40, help="toy env size")
    ap.add_argument("--dir", default="recordings", help="where recorded runs go (a temporary folder, removed after)")
    ap.add_argument("--aa", action="store_true", help="recording off on both sides: the method's own noise")
    args = ap.parse_args()
    envs = args.env + (PAIRS if args.pairs else [])
    args.rounds = args.rounds or (10 if envs else 60)
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    out = Path(tempfile.mkdtemp(dir=args.dir, prefix="loop-overhead-"))
    console = Console(width=170)
    try:
        with FramePool() as frames:
            if envs:
                report_pairs({env_id: measure_env(env_id, args, out, frames) for env_id in envs}, args, console)
            else:
                toy = SwitchesEnv(lamps=args.lamps, targets=args.lamps // 2)
                bench = Bench(TOY, toy, lambda: build_roles(RunConfig(env_id=TOY), toy), 200, out, frames)
                report_toy(measure(bench, args, SwitchesEnv(lamps=args.lamps, targets=args.lamps // 2)), args, console)
    finally:
        shutil.rmtree(out, ignore_errors=True)
        console.print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cpus")


if __name__ == "__main__":
    main()
