"""The runtime's own cost per step, next to the bare Gymnasium loop on the same env.

Three runs of the same episodes (toy env, scripted function planner, rule critic and effect
validator): a bare `env.step` loop with the same actions (the floor), the agentloop loop with
recording off, and with recording on (steps.jsonl + PNG frames + derived rewards, written by the
writer process). Overhead = agentloop time per step minus the bare loop's. Targets: overhead
under 2 ms a step; recording on within 10 % of off.

Each round runs recording off and on twice each, in A-B-B-A order, then the bare loop; every
run is a few episodes of which the first is not timed. Recording is then measured in its
steady state: each timed episode with recording on runs beside the writer landing the episode
before it, as every episode but the first of a real run does, and the first episode of each
run absorbs the switch from the run before (the writer landing that run's last episode, or
nothing yet to land). Runs can thus be short, and short runs are what makes the comparison
precise: the machine's speed drifts by up to two times within a minute, so the on/off ratio
is taken within each round, and the median over many rounds is reported with a 95 % interval
for it. `--aa` runs recording off on both sides, to show the method's own noise.

CPU time is reported beside wall time: the loop's own process (what recording takes from the
loop) and the writer process's (work done beside the loop, on the other core). On a small VM
that other core is not free: a busy process on one of these two vCPUs slows a loop on the
other by 1.3 to 1.5 times, so the writer's CPU shows in the loop's wall time too. The writer's
tail, the time it takes to land the last episode when a run ends, is paid once per run, not
per step, and is reported on its own line.

What the writer costs depends on the file system. ext4 without a journal (these machines'
disk) does not reuse an inode freed in the last one to five minutes: every file it creates
then looks past each such inode in turn, so after a large delete (a test run, an earlier run
of this script) creating a file costs up to a millisecond instead of a tenth, and the writer's
kernel time slows the loop on the other core. The script prints what creating a file costs in
`--dir` right now. Before it starts it waits for its own last deletion to age (about five
minutes), then, at most as long again, until creating a file costs what it costs on a settled
disk, whoever deleted files last (`--no-wait` skips both).

    python benchmarks/loop_overhead.py [--per-run 4] [--repeats 150] [--lamps 40] [--dir recordings] [--no-wait] [--aa]
"""

from __future__ import annotations

import argparse
import itertools
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
from agentloop.recording.disk import DiskWriter
from agentloop.recording.episode import EpisodeWriter
from agentloop.roles import EffectValidator, PreconditionCritic
from agentloop.testing.switches import SwitchesEnv, SwitchesPlanner


def bare_episode(env: SwitchesEnv, seed: int) -> int:
    """Plain Gymnasium: the planner's decision and env.step, nothing else."""
    from agentloop.roles.context import Context

    planner = SwitchesPlanner()
    steps = 0
    obs, info = env.reset(seed=seed)
    while not info["success"]:
        ctx = Context("toy", info["goal"], [], None, info["scene_graph"], obs, info)
        obs, r, term, trunc, info = env.step(planner.next_action(ctx))
        steps += 1
    return steps


def agent_episode(env: SwitchesEnv, seed: int, record: Path | None, disk: DiskWriter | None) -> int:
    """One episode through agentloop's loop, recorded into `record` when given."""
    roles = Roles(SwitchesPlanner(), PreconditionCritic(), EffectValidator())
    spec = EpisodeSpec("agentloop/toy.switches", seed)
    sink = EpisodeWriter(record, spec.episode_id, disk) if record else None
    res = run_episode(env, spec, roles, LoopLimits(max_steps=200), sink)
    if sink:
        sink.finish(res.record)  # hands the episode to the writer, as the runner does
    assert res.record.success
    return res.record.steps


@dataclass
class Run:
    wall: float = 0.0  # s, timed episodes
    cpu: float = 0.0  # s of the loop process's CPU, timed episodes
    steps: int = 0  # of the timed episodes
    all_steps: int = 0  # of all its episodes


def run(kind: str, env: SwitchesEnv, seeds: list[int], disk: DiskWriter, folder: Path | None) -> Run:
    """A run of episodes; all but the first are timed, one by one."""
    out = Run()
    for i, seed in enumerate(seeds):
        c, t = time.process_time(), time.perf_counter()
        if kind == BARE:
            steps = bare_episode(env, seed)
        else:
            steps = agent_episode(env, seed, folder if kind == ON else None, disk)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        out.all_steps += steps
        if i:
            out.wall, out.cpu, out.steps = out.wall + wall, out.cpu + cpu, out.steps + steps
    return out


def file_cost(folder: Path, name: str = "file-cost", n: int = 200) -> float:
    """CPU seconds to create one small file where the runs are recorded (the writer creates
    one per frame): on some disks this alone swings tenfold between folders and over minutes.
    The files stay until the end, like the recordings."""
    d = folder / name
    d.mkdir()
    c = time.process_time()
    for i in range(n):
        with open(d / f"{i}.png", "wb") as f:
            f.write(b"x" * 1024)
    return (time.process_time() - c) / n


NAMES = ["bare gymnasium", "agentloop, recording off", "agentloop, recording on"]
BARE, OFF, ON = NAMES


@dataclass
class Readings:
    wall: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in NAMES})  # s / step, per run
    cpu: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in NAMES})  # loop process
    ratios: list[float] = field(default_factory=list)  # on / off, within each round
    cpu_ratios: list[float] = field(default_factory=list)  # the same, for the loop process's CPU
    writer: float = 0.0  # writer process CPU s per recorded step
    tail: float = 0.0  # s the writer took to land a run's last episode, after the run
    steps: int = 0  # timed steps per run


def one_round(r: int, env: SwitchesEnv, seeds: list[int], disk: DiskWriter, folder: Path, out: Readings, aa: bool) -> int:
    """Recording off and on twice each, in A-B-B-A order (B-A-A-B in every other round), then
    the bare loop: the machine's speed drifts, so each takes each place equally often and the
    round's ratio cancels the drift. Returns the steps recorded (timed or not)."""
    order = [OFF, ON, ON, OFF] if r % 2 == 0 else [ON, OFF, OFF, ON]
    total = {OFF: Run(), ON: Run()}
    recorded = 0
    for i, k in enumerate([*order, BARE]):
        recording = k == ON and not aa
        res = run(k if recording or k == BARE else OFF, env, seeds, disk, fresh_run(folder, str(i)) if recording else None)
        out.wall[k].append(res.wall / res.steps)
        out.cpu[k].append(res.cpu / res.steps)
        out.steps = res.steps
        if k in total:
            t = total[k]
            t.wall, t.cpu, t.steps = t.wall + res.wall, t.cpu + res.cpu, t.steps + res.steps
        if recording:
            recorded += res.all_steps
    out.ratios.append((total[ON].wall / total[ON].steps) / (total[OFF].wall / total[OFF].steps))
    out.cpu_ratios.append((total[ON].cpu / total[ON].steps) / (total[OFF].cpu / total[OFF].steps))
    return recorded


def main() -> None:
    ap = argparse.ArgumentParser()
    # Many short rounds: a ratio taken within a short round sees less of the machine's drift.
    ap.add_argument("--per-run", type=int, default=4, help="episodes per run, the first not timed")
    ap.add_argument("--repeats", type=int, default=150, help="rounds (each: off, on, on, off, bare)")
    ap.add_argument("--seeds", type=int, default=10, help="episode seeds, taken in turn by the rounds")
    ap.add_argument("--lamps", type=int, default=40)
    ap.add_argument(
        "--dir", default="recordings",
        help="where the recorded runs go (a temporary folder inside it, removed after): by default "
        "where `agentloop run` writes, since creating files costs what the file system makes it cost",
    )
    ap.add_argument(
        "--no-wait", action="store_true",
        help="start at once, even if many files were deleted in the last minutes (by an earlier run "
        "of this script or anything else)",
    )
    ap.add_argument("--aa", action="store_true", help="recording off on both sides: the method's own noise")
    args = ap.parse_args()
    if args.per_run < 2:
        ap.error("--per-run must be at least 2: the first episode of a run is not timed")
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    if not args.no_wait:
        wait_for_own_deletion(Path(args.dir))
    env = SwitchesEnv(lamps=args.lamps, targets=args.lamps // 2)
    # Every round records into a folder of its own, and nothing is deleted until the last
    # round is done (see above: deleting a round's files made the next rounds' files cost up
    # to a millisecond each). A real run deletes nothing while it records.
    keep = Path(tempfile.mkdtemp(dir=args.dir, prefix="loop-overhead-"))
    readings = Readings()
    try:
        if not args.no_wait:
            wait_for_settled_disk(keep)
        create_cost = file_cost(keep)
        # The writer process lives as long as a worker, like the env: started once, outside timing.
        disk = DiskWriter()
        try:
            run(ON, env, [0, 1, 2], disk, fresh_run(keep, "warm-up"))  # imports, caches, the writer
            disk.flush()
            cpu0, recorded = disk.cpu_seconds() or 0.0, 0
            for r in range(args.repeats):
                seeds = [(r * args.per_run + i) % args.seeds for i in range(args.per_run)]
                recorded += one_round(r, env, seeds, disk, keep / f"round-{r}", readings, args.aa)
            readings.writer = ((disk.cpu_seconds() or 0.0) - cpu0) / max(1, recorded)
            run(ON, env, list(range(args.per_run)), disk, fresh_run(keep, "tail"))
            t = time.perf_counter()
            disk.flush()
            readings.tail = time.perf_counter() - t
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


# What creating a small file costs on a settled disk here is 0.05 to 0.1 ms of CPU; after
# another program (a test run) deleted many files it is 0.2 to 1 ms, for some minutes.
SETTLED_FILE_S = 1.5e-4


def wait_for_settled_disk(probes: Path) -> None:
    """Wait (at most QUIET_AFTER_S) while creating a file costs more than on a settled disk,
    as it does for minutes after many files were deleted, by whatever deleted them: the
    writer's share would then be measured on a disk that no long run records on. The probes'
    files are kept until the end."""
    deadline = time.time() + QUIET_AFTER_S
    for n in itertools.count():
        cost = file_cost(probes, f"settle-{n}", 100)
        if cost <= SETTLED_FILE_S or time.time() > deadline:
            return
        if n == 0:
            Console().print(
                f"waiting for the disk to settle: creating a file costs {cost * 1e3:.2f} ms of CPU "
                f"(more than {SETTLED_FILE_S * 1e3:.2f}), as it does for some minutes after many files "
                f"were deleted (see the docstring; --no-wait to start now)"
            )
        time.sleep(15)


def wait_for_own_deletion(folder: Path) -> None:
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
    table = Table(title=(
        f"per-step cost, {args.repeats} rounds (runs of {args.per_run} episodes, the first not timed; "
        f"{m.steps} steps timed a run), median of the runs: not paired, so they drift with the machine; "
        f"the on/off ratio below is taken within each round"
    ))
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
    on = med[ON]
    cpu_off = med_cpu["agentloop, recording off"]
    quart = statistics.quantiles(m.ratios, n=4) if len(m.ratios) > 1 else [m.ratios[0]] * 3
    low, high = median_interval(m.ratios)
    writer = m.writer
    sides = "off vs off (--aa)" if args.aa else "on vs off"
    console.print(
        f"runtime overhead with recording{' (--aa: off)' if args.aa else ''}: {(on - floor) * 1e3:.3f} ms/step "
        f"(target < 2 ms)\n"
        f"recording {sides}, wall: {(statistics.median(m.ratios) - 1) * 100:+.1f} % (median of the rounds' "
        f"ratios, 95 % interval {(low - 1) * 100:+.1f} … {(high - 1) * 100:+.1f} %; middle half of the rounds "
        f"{(quart[0] - 1) * 100:+.0f} … {(quart[2] - 1) * 100:+.0f} %; target within 10 %)\n"
        f"recording {sides}, loop-process CPU: {(statistics.median(m.cpu_ratios) - 1) * 100:+.1f} %; "
        + ("" if args.aa else f"writer process CPU: {writer * 1e3:.3f} ms/step ({writer / cpu_off * 100:.0f} % of the loop's)")
        + "\n"
        f"the writer's tail (landing a run's last episode after the run): {m.tail * 1e3:.1f} ms, once per run\n"
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
