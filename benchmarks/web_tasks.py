"""Scripted web planner success per task: MiniWoB++ tasks with a solver, and site.* tasks.

python benchmarks/web_tasks.py [--episodes 10] [--seed 1000] [--tasks miniwob.click-button,...] [--open] [--list] [--out DIR]

Runs each task as `agentloop run agentloop/<task> --planner scripted` does: through the runner,
with the default rule critic and rule validator and the env's own step limit, and prints success
per task with the critic's rejections and the validator's failures beside it (a task the closed
loop solves only with its verdicts overruled, or after refusals, shows it). `--open` runs the open
loop instead (no critic, no validator), to compare. Exits 1 unless every task reaches 90 %.
"""

from __future__ import annotations

import argparse
import fnmatch
import statistics
import sys
import tempfile
import time
from pathlib import Path

import gymnasium as gym

from agentloop.records import EpisodeRecord, Outcome, RunConfig
from agentloop.registry import load_plugins
from agentloop.runner import execute, prepare


def claimed_tasks() -> list[str]:
    load_plugins()
    from agentloop.envs.web.planner import WebPlanner
    from agentloop.envs.web.solving import solved_tasks

    WebPlanner()
    ids = [i.split("/", 1)[1] for i in gym.registry if i.startswith(("agentloop/miniwob.", "agentloop/site."))]
    return sorted({t for p in solved_tasks() for t in ids if fnmatch.fnmatchcase(t, p)})


def run_task(task: str, episodes: int, seed: int, closed: bool, root: Path) -> list[EpisodeRecord]:
    """The task's episodes through the runner, as `agentloop run` runs them."""
    out = root / task
    roles = {} if closed else {"critic": "none", "validator": "none"}
    config = RunConfig(env_id=f"agentloop/{task}", episodes=episodes, seed=seed, planner="scripted",
                       record_frames=False, out=str(out), **roles)
    rd, todo, _ = prepare(config, out, False)
    records: list[EpisodeRecord] = []
    execute(todo, config, rd.path, records.append)
    return records


def row(task: str, records: list[EpisodeRecord], seconds: float) -> tuple[str, bool]:
    n = len(records)
    wins = sum(r.success for r in records)
    errors = sum(r.outcome is Outcome.ERROR for r in records)
    ok = n > 0 and wins / n >= 0.9
    steps = statistics.mean(r.steps for r in records) if records else 0.0
    line = (f"{task:40s} {wins:3d}/{n:<4d} {steps:6.1f} {sum(r.critic_rejections for r in records):8d} "
            f"{sum(r.validator_failures for r in records):8d} {errors:6d} {seconds / max(n, 1):9.2f}  "
            f"{'OK' if ok else 'BELOW 90%'}")
    return line, ok


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--episodes", type=int, default=10)
    ap.add_argument("--tasks", default="", help="comma-separated task names or globs")
    ap.add_argument("--seed", type=int, default=1000, help="episode i runs with seed SEED+i")
    ap.add_argument("--open", action="store_true", help="the open loop: no critic, no validator")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--out", type=Path, help="keep each task's run directory here (default: a temporary one)")
    a = ap.parse_args()
    load_plugins()
    claimed = claimed_tasks()
    tasks = [t for t in claimed if any(fnmatch.fnmatchcase(t, p) for p in a.tasks.split(","))] if a.tasks else claimed
    if a.list:
        print("\n".join(tasks))
        return 0
    loop = "open loop (no critic, no validator)" if a.open else "closed loop (rule critic, rule validator)"
    print(f"scripted planner, {loop}, through the runner")
    print(f"{'task':40s} {'success':>8s} {'steps':>6s} {'rejected':>8s} {'val fail':>8s} {'errors':>6s} {'s/episode':>9s}")
    ok = 0
    with tempfile.TemporaryDirectory() as tmp:
        for t in tasks:
            t0 = time.perf_counter()
            try:
                records = run_task(t, a.episodes, a.seed, not a.open, a.out or Path(tmp))
            except Exception as e:  # a broken solver or task is a row in the table, not the end of it
                print(f"{t:40s} ERROR {type(e).__name__}: {str(e).splitlines()[0][:80]}", flush=True)
                continue
            line, good = row(t, records, time.perf_counter() - t0)
            ok += good
            print(line, flush=True)
    n_mw = sum(t.startswith("miniwob.") for t in tasks)
    print(f"{ok}/{len(tasks)} tasks at >= 90% success ({n_mw} MiniWoB++, {len(tasks) - n_mw} site; "
          f"{a.episodes} episodes each, seeds {a.seed}..{a.seed + a.episodes - 1}; {loop})")
    return 0 if ok == len(tasks) else 1


if __name__ == "__main__":
    sys.exit(main())
