"""The runtime's own cost per step, next to the bare Gymnasium loop on the same env.

Three runs of the same episodes (toy env, scripted function planner, rule critic and effect
validator): a bare `env.step` loop with the same actions (the floor), the agentloop loop with
recording off, and with recording on (steps.jsonl + PNG frames + derived rewards, written by the
writer process). Overhead = agentloop time per step minus the bare loop's. Targets: overhead
under 2 ms a step; recording on within 10 % of off.

Wall time on a small shared machine swings with whatever else runs, so CPU time is reported
beside it: the loop's own process (what recording takes from the loop) and the writer
process's (work done beside the loop, on another core when there is one).

    python benchmarks/loop_overhead.py [--episodes 60] [--lamps 40] [--repeats 3] [--dir recordings]
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
    ap.add_argument(
        "--dir", default="recordings",
        help="where the recorded runs go (a temporary folder inside it, removed after): by default "
        "where `agentloop run` writes, since creating files costs what the file system makes it cost",
    )
    args = ap.parse_args()
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    env = SwitchesEnv(lamps=args.lamps, targets=args.lamps // 2)
    seeds = list(range(args.episodes))
    names = ["bare gymnasium", "agentloop, recording off", "agentloop, recording on"]
    results: dict[str, list[float]] = {k: [] for k in names}
    cpu: dict[str, list[float]] = {k: [] for k in names}
    writer: list[float] = []
    # The writer process lives as long as a worker, like the env: started once, outside timing.
    disk = DiskWriter()
    with tempfile.TemporaryDirectory(dir=args.dir) as d:
        (Path(d) / "episodes").mkdir()
        looped(env, seeds[:3], Path(d), disk)  # warm up imports, caches and the writer
    for _ in range(args.repeats):
        c = time.process_time()
        t, n = bare(env, seeds)
        results["bare gymnasium"].append(t / n)
        cpu["bare gymnasium"].append((time.process_time() - c) / n)
        c = time.process_time()
        t, n = looped(env, seeds, None)
        results["agentloop, recording off"].append(t / n)
        cpu["agentloop, recording off"].append((time.process_time() - c) / n)
        with tempfile.TemporaryDirectory(dir=args.dir) as d:
            (Path(d) / "episodes").mkdir()
            c, w = time.process_time(), disk.cpu_seconds() or 0.0
            t, n = looped(env, seeds, Path(d), disk)
            cpu["agentloop, recording on"].append((time.process_time() - c) / n)
            writer.append(((disk.cpu_seconds() or 0.0) - w) / n)
        results["agentloop, recording on"].append(t / n)
    disk.close()
    med = {k: statistics.median(v) for k, v in results.items()}
    med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
    floor, cpu_floor = med["bare gymnasium"], med_cpu["bare gymnasium"]
    table = Table(title=f"per-step cost, {args.episodes} episodes x {n // args.episodes} steps, median of {args.repeats}")
    table.add_column("loop")
    table.add_column("ms / step", justify="right")
    table.add_column("overhead vs bare", justify="right")
    table.add_column("CPU ms / step, loop process", justify="right")
    table.add_column("CPU overhead vs bare", justify="right")
    for k, v in med.items():
        bare_row = k.startswith("bare")
        table.add_row(
            k, f"{v * 1e3:.3f}", "-" if bare_row else f"{(v - floor) * 1e3:.3f} ms",
            f"{med_cpu[k] * 1e3:.3f}", "-" if bare_row else f"{(med_cpu[k] - cpu_floor) * 1e3:.3f} ms",
        )
    console = Console()
    console.print(table)
    off, on = med["agentloop, recording off"], med["agentloop, recording on"]
    cpu_off, cpu_on = med_cpu["agentloop, recording off"], med_cpu["agentloop, recording on"]
    console.print(
        f"runtime overhead with recording: {(on - floor) * 1e3:.3f} ms/step (target < 2 ms)\n"
        f"recording on vs off, wall: {(on / off - 1) * 100:+.1f} % (target within 10 %)\n"
        f"recording on vs off, loop-process CPU: {(cpu_on / cpu_off - 1) * 100:+.1f} %; "
        f"writer process CPU: {statistics.median(writer) * 1e3:.3f} ms/step "
        f"({statistics.median(writer) / cpu_off * 100:.0f} % of the loop's)"
    )


if __name__ == "__main__":
    main()
