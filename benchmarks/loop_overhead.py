"""The runtime's own cost per step, next to the bare Gymnasium loop on the same env.

Three runs of the same episodes (toy env, scripted function planner, rule critic and effect
validator): a bare `env.step` loop with the same actions (the floor), the agentloop loop with
recording off, and with recording on (steps.jsonl + PNG frames). Overhead = agentloop time per
step minus the bare loop's. Targets: overhead under 2 ms a step; recording on within 10 % of off.

    python benchmarks/loop_overhead.py [--episodes 60] [--lamps 40]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from agentloop.loop import EpisodeSpec, LoopLimits, Roles, run_episode
from agentloop.recording.episode import EpisodeWriter
from agentloop.recording.disk import DiskWriter
from agentloop.roles import EffectValidator, PreconditionCritic
from agentloop.testing.switches import SwitchesEnv, SwitchesPlanner


def bare(env: SwitchesEnv, seeds: list[int]) -> tuple[float, int]:
    """Plain Gymnasium: the planner's decision and env.step, nothing else."""
    planner = SwitchesPlanner()
    from agentloop.roles.context import Context

    steps, t0 = 0, time.perf_counter()
    for seed in seeds:
        obs, info = env.reset(seed=seed)
        while not info["success"]:
            ctx = Context("toy", info["goal"], [], None, info["scene_graph"], obs, info)
            obs, r, term, trunc, info = env.step(planner.next_action(ctx))
            steps += 1
    return time.perf_counter() - t0, steps


def looped(env: SwitchesEnv, seeds: list[int], record: Path | None, disk: DiskWriter | None = None) -> tuple[float, int]:
    steps, t0 = 0, time.perf_counter()
    for seed in seeds:
        roles = Roles(SwitchesPlanner(), PreconditionCritic(), EffectValidator())
        spec = EpisodeSpec("agentloop/toy.switches", seed)
        sink = EpisodeWriter(record, spec.episode_id, disk) if record else None
        res = run_episode(env, spec, roles, LoopLimits(max_steps=200), sink)
        if sink:
            sink.finish(res.record)
        assert res.record.success
        steps += res.record.steps
    if disk:
        disk.flush()  # the time until every episode is on disk counts
    return time.perf_counter() - t0, steps


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--episodes", type=int, default=60)
    ap.add_argument("--lamps", type=int, default=40)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    env = SwitchesEnv(lamps=args.lamps, targets=args.lamps // 2)
    seeds = list(range(args.episodes))
    results: dict[str, list[float]] = {"bare gymnasium": [], "agentloop, recording off": [], "agentloop, recording on": []}
    # The writer process lives as long as a worker, like the env: started once, outside timing.
    disk = DiskWriter()
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "episodes").mkdir()
        looped(env, seeds[:3], Path(d), disk)  # warm up imports, caches and the writer
    for _ in range(args.repeats):
        t, n = bare(env, seeds)
        results["bare gymnasium"].append(t / n)
        t, n = looped(env, seeds, None)
        results["agentloop, recording off"].append(t / n)
        with tempfile.TemporaryDirectory() as d:
            (Path(d) / "episodes").mkdir()
            t, n = looped(env, seeds, Path(d), disk)
        results["agentloop, recording on"].append(t / n)
    disk.close()
    med = {k: statistics.median(v) for k, v in results.items()}
    floor = med["bare gymnasium"]
    table = Table(title=f"per-step cost, {args.episodes} episodes x {n // args.episodes} steps, median of {args.repeats}")
    table.add_column("loop")
    table.add_column("ms / step", justify="right")
    table.add_column("overhead vs bare", justify="right")
    for k, v in med.items():
        table.add_row(k, f"{v * 1e3:.3f}", "-" if k.startswith("bare") else f"{(v - floor) * 1e3:.3f} ms")
    console = Console()
    console.print(table)
    off, on = med["agentloop, recording off"], med["agentloop, recording on"]
    console.print(
        f"runtime overhead with recording: {(on - floor) * 1e3:.3f} ms/step (target < 2 ms); "
        f"recording on vs off: {(on / off - 1) * 100:+.1f} % (target within 10 %)"
    )


if __name__ == "__main__":
    main()
