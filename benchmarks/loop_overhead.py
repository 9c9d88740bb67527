"""The runtime's own cost per step, next to the bare Gymnasium loop on the same env.

Three runs of the same episodes (toy env, scripted function planner, rule critic and effect
validator): a bare `env.step` loop with the same actions (the floor), the agentloop loop with
recording off, and with recording on (steps.jsonl + PNG frames + derived rewards, written by the
writer process). Overhead = agentloop time per step minus the bare loop's. Targets: overhead
under 2 ms a step; recording on within 10 % of off.

Each round runs recording off and on twice each, in A-B-B-A order, then the bare loop; the
on/off ratio is taken within each round and the median over rounds is reported, since the
machine's speed drifts by up to two times within a minute. CPU time is reported beside wall
time: the loop's own process (what recording takes from the loop) and the writer process's
(work done beside the loop, on the other core). On a small VM that other core is not free: a
busy process on one of these two vCPUs slows a loop on the other by 1.3 to 1.5 times, so the
writer's CPU shows in the loop's wall time too. The writer's tail, the time it takes to land
what it still holds when a run ends, is paid once per run, not per step, and is reported on
its own line.

What the writer costs depends on the file system. ext4 without a journal (these machines'
disk) does not reuse an inode freed in the last one to five minutes: every file it creates
then looks past each such inode in turn, so after a large delete (a test run, an earlier run
of this script) creating a file costs up to a millisecond instead of a tenth, and the writer's
kernel time slows the loop on the other core. The script prints what creating a file costs in
`--dir` right now; run it again some minutes after deleting many files. It waits by itself
for its own last deletion to age (about five minutes; `--no-wait` skips that).

    python benchmarks/loop_overhead.py [--episodes 10] [--lamps 40] [--repeats 60] [--dir recordings] [--no-wait]
"""

from __future__ import annotations

import argparse
import math
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass, field
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


def looped(env: SwitchesEnv, seeds: list[int], record: Path | None, disk: DiskWriter | None = None) -> tuple[float, int, float]:
    """The episodes through agentloop's loop; returns the loop's time, its steps, and how
    long the writer then took to land the episodes it still held (its tail: paid once per
    run, when the run ends, so not a per-step cost)."""
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
    t = time.perf_counter() - t0
    if disk:
        disk.flush()
    return t, steps, time.perf_counter() - t0 - t


def file_cost(folder: Path, n: int = 200) -> float:
    """CPU seconds to create one small file where the runs are recorded (the writer creates
    one per frame): on some disks this alone swings tenfold between folders and over minutes.
    The files stay until the end, like the recordings."""
    d = folder / "file-cost"
    d.mkdir()
    c = time.process_time()
    for i in range(n):
        with open(d / f"{i}.png", "wb") as f:
            f.write(b"x" * 1024)
    return (time.process_time() - c) / n


NAMES = ["bare gymnasium", "agentloop, recording off", "agentloop, recording on"]


@dataclass
class Readings:
    wall: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in NAMES})  # s / step
    cpu: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in NAMES})  # loop process
    writer: list[float] = field(default_factory=list)  # writer process CPU s / step
    ratios: list[float] = field(default_factory=list)  # on / off, within each round
    cpu_ratios: list[float] = field(default_factory=list)  # the same, for the loop process's CPU
    tails: list[float] = field(default_factory=list)  # s the writer took to land a round's last episodes
    steps: int = 0  # per round


BARE, OFF, ON = NAMES


def one_round(r: int, env: SwitchesEnv, seeds: list[int], disk: DiskWriter, run_dir: Path, out: Readings) -> None:
    """Recording off and on twice each, in A-B-B-A order (B-A-A-B in every other round), then
    the bare loop: the machine's speed drifts, and a run also leaves the next one slower or
    faster (recording leaves the writer busy, memory to reuse), so each takes each place
    equally often and the round's ratio cancels both."""
    order = [OFF, ON, ON, OFF] if r % 2 == 0 else [ON, OFF, OFF, ON]
    wall, cpu = {OFF: 0.0, ON: 0.0}, {OFF: 0.0, ON: 0.0}
    for i, k in enumerate([*order, BARE]):
        if k == ON:
            run = fresh_run(run_dir, str(i))
            w = disk.cpu_seconds() or 0.0
        c = time.process_time()
        if k == BARE:
            t, n = bare(env, seeds)
        elif k == OFF:
            t, n, _ = looped(env, seeds, None)
        else:
            t, n, tail = looped(env, seeds, run, disk)
            out.tails.append(tail)
        used = time.process_time() - c
        out.cpu[k].append(used / n)
        if k == ON:
            out.writer.append(((disk.cpu_seconds() or 0.0) - w) / n)
        out.wall[k].append(t / n)
        if k in wall:
            wall[k] += t
            cpu[k] += used
        out.steps = n
    out.ratios.append(wall[ON] / wall[OFF])
    out.cpu_ratios.append(cpu[ON] / cpu[OFF])


def main() -> None:
    ap = argparse.ArgumentParser()
    # Short rounds, many of them: the machine's speed drifts within a minute, and a ratio
    # taken within a short round sees less of that drift. (Comparing agentloop with itself,
    # recording off both times, 100 rounds of 5 episodes gave medians within 1 % of equal;
    # 15 rounds of 20 episodes, within 6 %.) Runs not much shorter than 10 episodes, though:
    # the writer's tail is left out of each run, and with it the last episode's writing
    # beside the loop.
    ap.add_argument("--episodes", type=int, default=10, help="episodes per run")
    ap.add_argument("--lamps", type=int, default=40)
    ap.add_argument("--repeats", type=int, default=60, help="rounds (each: off, on, on, off, bare)")
    ap.add_argument(
        "--dir", default="recordings",
        help="where the recorded runs go (a temporary folder inside it, removed after): by default "
        "where `agentloop run` writes, since creating files costs what the file system makes it cost",
    )
    ap.add_argument(
        "--no-wait", action="store_true",
        help="start at once even if an earlier run of this script deleted its files in the last minutes",
    )
    args = ap.parse_args()
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    if not args.no_wait:
        wait_for_quiet_disk(Path(args.dir))
    env = SwitchesEnv(lamps=args.lamps, targets=args.lamps // 2)
    seeds = list(range(args.episodes))
    # Every round records into a folder of its own, and nothing is deleted until the last
    # round is done (see above: deleting a round's files made the next rounds' files cost up
    # to a millisecond each). A real run deletes nothing while it records.
    keep = Path(tempfile.mkdtemp(dir=args.dir, prefix="loop-overhead-"))
    readings = Readings()
    try:
        create_cost = file_cost(keep)
        # The writer process lives as long as a worker, like the env: started once, outside timing.
        disk = DiskWriter()
        try:
            looped(env, seeds[:3], fresh_run(keep, "warm-up"), disk)  # imports, caches, the writer
            for r in range(args.repeats):
                one_round(r, env, seeds, disk, keep / f"round-{r}", readings)
        finally:
            disk.close()
    finally:
        shutil.rmtree(keep)
        (Path(args.dir) / CLEANED).touch()
    report(readings, args, create_cost)


# When this script last deleted its files, and how long after that ext4 without a journal
# still passes over the freed inodes (310 s while their inode-table block is dirty, which the
# next run's own files keep it): a run started sooner measures that, not the writer.
CLEANED = ".loop-overhead-cleaned"
QUIET_AFTER_S = 320


def wait_for_quiet_disk(folder: Path) -> None:
    stamp = folder / CLEANED
    if not stamp.exists():
        return
    left = QUIET_AFTER_S - (time.time() - stamp.stat().st_mtime)
    if left > 0:
        Console().print(
            f"waiting {left:.0f} s: the last run of this script deleted its files "
            f"{QUIET_AFTER_S - left:.0f} s ago, and until the file system reuses their inodes every new "
            f"file costs more (see the docstring; --no-wait to start now)"
        )
        time.sleep(left)


def fresh_run(parent: Path, name: str) -> Path:
    (parent / name / "episodes").mkdir(parents=True)
    return parent / name


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


def report(m: Readings, args: argparse.Namespace, create_cost: float) -> None:
    med = {k: statistics.median(v) for k, v in m.wall.items()}
    med_cpu = {k: statistics.median(v) for k, v in m.cpu.items()}
    floor, cpu_floor = med["bare gymnasium"], med_cpu["bare gymnasium"]
    table = Table(title=f"per-step cost, {args.repeats} rounds (runs of {args.episodes} episodes, {m.steps} steps), median")
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
    cpu_off = med_cpu["agentloop, recording off"]
    quart = statistics.quantiles(m.ratios, n=4) if len(m.ratios) > 1 else [m.ratios[0]] * 3
    low, high = median_interval(m.ratios)
    writer = statistics.median(m.writer)
    console.print(
        f"runtime overhead with recording: {(on - floor) * 1e3:.3f} ms/step (target < 2 ms)\n"
        f"recording on vs off, wall: {(statistics.median(m.ratios) - 1) * 100:+.1f} % (median of the rounds' "
        f"ratios, 95 % interval {(low - 1) * 100:+.1f} … {(high - 1) * 100:+.1f} %; middle half of the rounds "
        f"{(quart[0] - 1) * 100:+.0f} … {(quart[2] - 1) * 100:+.0f} %; target within 10 %)\n"
        f"recording on vs off, loop-process CPU: {(statistics.median(m.cpu_ratios) - 1) * 100:+.1f} %; "
        f"writer process CPU: {writer * 1e3:.3f} ms/step ({writer / cpu_off * 100:.0f} % of the loop's)\n"
        f"the writer's tail (landing what it still held when a round ended): "
        f"{statistics.median(m.tails) * 1e3:.1f} ms, once per run\n"
        f"creating a file in {args.dir}: {create_cost * 1e3:.3f} ms CPU"
    )
    if create_cost > 2e-4:
        console.print(
            "[yellow]creating files is slow here now (more than 0.2 ms each): many files were "
            "probably deleted in the last minutes (see this script's docstring); the writer's "
            "share of the cost is then higher than a run on a settled disk pays[/yellow]"
        )


if __name__ == "__main__":
    main()
