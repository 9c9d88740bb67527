"""The runtime's own cost per step, next to the bare Gymnasium loop on the same env.

Three runs of the same episodes (toy env, scripted function planner, rule critic and effect
validator): a bare `env.step` loop with the same actions (the floor), the agentloop loop with
recording off, and with recording on (steps.jsonl + PNG frames + derived rewards, written by the
writer process). Overhead = agentloop time per step minus the bare loop's. Targets: overhead
under 2 ms a step; recording on within 10 % of off.

Wall time on a small shared machine swings with whatever else runs, so CPU time is reported
beside it: the loop's own process (what recording takes from the loop) and the writer
process's (work done beside the loop, on another core when there is one).

    python benchmarks/loop_overhead.py [--episodes 60] [--lamps 40] [--repeats 5] [--dir recordings]
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


def file_cost(folder: str, n: int = 200) -> float:
    """CPU seconds to create one small file where the runs are recorded: on some disks this
    alone swings tenfold between folders and over minutes, and the writer creates one file
    per frame."""
    with tempfile.TemporaryDirectory(dir=folder) as d:
        c = time.process_time()
        for i in range(n):
            with open(Path(d) / f"{i}.png", "wb") as f:
                f.write(b"x" * 1024)
        return (time.process_time() - c) / n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--episodes", type=int, default=60)
    ap.add_argument("--lamps", type=int, default=40)
    ap.add_argument("--repeats", type=int, default=5)
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
    # The machine's speed drifts (a shared host), so each round runs the three loops back
    # to back, in alternating order, and recording is judged by the ratio within a round.
    ratios: list[float] = []
    for r in range(args.repeats):
        order = names if r % 2 == 0 else names[::-1]
        for k in order:
            c = time.process_time()
            if k == "bare gymnasium":
                t, n = bare(env, seeds)
            elif k == "agentloop, recording off":
                t, n = looped(env, seeds, None)
            else:
                with tempfile.TemporaryDirectory(dir=args.dir) as d:
                    (Path(d) / "episodes").mkdir()
                    w = disk.cpu_seconds() or 0.0
                    c = time.process_time()
                    t, n = looped(env, seeds, Path(d), disk)
                    cpu[k].append((time.process_time() - c) / n)
                    writer.append(((disk.cpu_seconds() or 0.0) - w) / n)
            if k != "agentloop, recording on":
                cpu[k].append((time.process_time() - c) / n)
            results[k].append(t / n)
        ratios.append(results["agentloop, recording on"][-1] / results["agentloop, recording off"][-1])
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
        f"recording on vs off, wall: {(statistics.median(ratios) - 1) * 100:+.1f} % (median of the rounds' ratios; "
        f"rounds: {', '.join(f'{(x - 1) * 100:+.0f} %' for x in ratios)}; target within 10 %)\n"
        f"recording on vs off, loop-process CPU: {(cpu_on / cpu_off - 1) * 100:+.1f} %; "
        f"writer process CPU: {statistics.median(writer) * 1e3:.3f} ms/step "
        f"({statistics.median(writer) / cpu_off * 100:.0f} % of the loop's)\n"
        f"creating a file in {args.dir}: {file_cost(args.dir) * 1e3:.3f} ms CPU"
    )


if __name__ == "__main__":
    main()
