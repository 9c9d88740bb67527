"""How `agentloop report` scales: build time and index size for a run of 1,000 episodes.

Records a real run of the toy env (`agentloop run agentloop/toy.switches -n 1000`, a few
seconds; its frames are tiny, 32x32), builds its report from scratch, rebuilds it with
nothing new (what `--watch` does every few seconds), and prints the build times and what
the index page loads before any image: `index.html`, `data/episodes.js` and the static files.
Frames and episode pages load only when opened, thumbnails lazily.

`--robot N` also records N episodes of the long-horizon MuJoCo task (256x256 frames, ~10
steps each) and reports the per-episode build cost there, where the animations dominate,
with the time 1,000 such episodes would take at that rate (an extrapolation, said so).

    python benchmarks/report_scale.py [--episodes 1000] [--jobs J] [--robot 20] [--run DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from agentloop.report import build_site
from agentloop.report.site import STATIC_FILES, default_jobs

ROOT = Path(__file__).parents[1]


def record(env_id: str, episodes: int, out: Path, *extra: str) -> float:
    """Record a run with the command line; returns its wall time."""
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "agentloop", "run", env_id, "-n", str(episodes), "--out", str(out), *extra],
                   cwd=ROOT, check=True, capture_output=True, timeout=3600)
    return time.perf_counter() - t


def timed_build(run: Path, out: Path, jobs: int | None) -> tuple[float, int]:
    t = time.perf_counter()
    result = build_site(run, out, jobs=jobs)
    return time.perf_counter() - t, result.episodes


def kib(n: float) -> str:
    return f"{n / 1024:,.1f} KiB"


def index_load(report: Path) -> dict[str, int]:
    """The bytes the index page loads before any image."""
    files = {"index.html": report / "index.html", "data/episodes.js": report / "data" / "episodes.js"}
    files |= {f"static/{n}": report / "static" / n for n in STATIC_FILES if n != "episode.js"}
    return {name: p.stat().st_size for name, p in files.items()}


def folder_size(p: Path) -> int:
    return sum(f.stat().st_size for f in p.rglob("*") if f.is_file())


def toy(args: argparse.Namespace, tmp: Path, console: Console) -> None:
    run = Path(args.run) if args.run else tmp / "toy"
    if not args.run:
        took = record("agentloop/toy.switches", args.episodes, run, "--env-arg", "slip=0.2")
        console.print(f"recorded {args.episodes} toy episodes in {took:.1f} s (frames 32x32)")
    jobs = args.jobs or default_jobs()
    single, _ = timed_build(run, tmp / "toy-report-1", 1)
    report = tmp / "toy-report"
    cold, n = timed_build(run, report, jobs)
    warm, _ = timed_build(run, report, jobs)
    loads = index_load(report)
    pages = [p.stat().st_size for p in (report / "episodes").glob("*.html")]
    table = Table(title=f"agentloop report of a {n}-episode run")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("build from scratch, 1 process", f"{single:.1f} s  ({1000 * single / n:.1f} ms/episode)")
    table.add_row(f"build from scratch, {jobs} processes", f"{cold:.1f} s  ({1000 * cold / n:.1f} ms/episode)")
    table.add_row("rebuild, nothing new (--watch tick)", f"{warm:.2f} s")
    for name, size in loads.items():
        table.add_row(f"  {name}", kib(size))
    table.add_row("index page loads before images", kib(sum(loads.values())))
    table.add_row("episode page, mean / max", f"{kib(sum(pages) / len(pages))} / {kib(max(pages))}")
    table.add_row("whole report folder", kib(folder_size(report)))
    console.print(table)


def robot(args: argparse.Namespace, tmp: Path, console: Console) -> None:
    run = tmp / "robot"
    took = record("agentloop/robot.tidy-up", args.robot, run)
    cold, n = timed_build(run, tmp / "robot-report", 1)
    anim = folder_size(tmp / "robot-report" / "anim")
    table = Table(title=f"robot.tidy-up: {n} episodes, 256x256 frames (recorded in {took:.0f} s)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("build from scratch, 1 process", f"{cold:.1f} s  ({1000 * cold / n:.0f} ms/episode)")
    table.add_row("1,000 such episodes at this rate, 1 process (extrapolated)", f"{cold / n * 1000:.0f} s")
    table.add_row("animations, page + thumbnail, per episode", kib(anim / n))
    console.print(table)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--episodes", type=int, default=1000, help="toy episodes to record")
    ap.add_argument("--jobs", type=int, default=None, help="build processes (default: the report's own default)")
    ap.add_argument("--robot", type=int, default=0, help="also record and report N robot episodes")
    ap.add_argument("--run", help="report this run folder instead of recording a toy run")
    args = ap.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory(prefix="report-scale-") as tmp:
        toy(args, Path(tmp), console)
        if args.robot:
            robot(args, Path(tmp), console)


if __name__ == "__main__":
    main()
