"""Closed loop (rule critic + effect validator) against the open loop (no critic, no
validator) on every robot task with injected failures (`--disturb`), same task seeds for both.

    python benchmarks/closed_loop.py [--episodes 20] [--disturb 0.3] [--tasks a,b]

Targets: closed loop >= 85 % on each task; open loop at least 25 points lower on average.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("MUJOCO_GL", "egl")

from rich.console import Console
from rich.table import Table

from agentloop import registry
from agentloop.envs.robot import TASK_TABLE
from agentloop.loop import EpisodeSpec, LoopLimits, run_episode
from agentloop.records import RunConfig
from agentloop.roles.factory import build_roles
from agentloop.runner.worker import episode_step_limit


def run(task: str, episodes: int, disturb: float, closed: bool) -> tuple[int, float]:
    env_id = f"agentloop/robot.{task}"
    mode = "rule" if closed else "none"
    config = RunConfig(env_id=env_id, critic=mode, validator=mode, env_kwargs={"disturb": disturb})
    env = registry.make(env_id, **config.env_kwargs)
    ok, steps = 0, 0
    for seed in range(episodes):
        roles = build_roles(config, env)
        rec = run_episode(env, EpisodeSpec(env_id, seed), roles, LoopLimits(max_steps=episode_step_limit(config, env), max_replans=config.max_replans)).record
        ok += rec.success
        steps += rec.steps
    env.close()
    return ok, steps / episodes


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--episodes", type=int, default=20)
    ap.add_argument("--disturb", type=float, default=0.3)
    ap.add_argument("--tasks", default=",".join(TASK_TABLE))
    args = ap.parse_args()
    table = Table(title=f"success with --disturb {args.disturb}, {args.episodes} seeds per task")
    for col in ("task", "closed loop", "open loop", "gap (points)", "steps closed", "steps open"):
        table.add_column(col)
    gaps, t0 = [], time.perf_counter()
    for task in args.tasks.split(","):
        c, sc = run(task, args.episodes, args.disturb, True)
        o, so = run(task, args.episodes, args.disturb, False)
        pc, po = 100 * c / args.episodes, 100 * o / args.episodes
        gaps.append(pc - po)
        table.add_row(task, f"{pc:.0f} %", f"{po:.0f} %", f"{pc - po:+.0f}", f"{sc:.1f}", f"{so:.1f}")
    table.add_row("mean", "", "", f"{sum(gaps) / len(gaps):+.1f}", "", "")
    Console().print(table)
    print(f"{time.perf_counter() - t0:.0f} s; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cpus")


if __name__ == "__main__":
    main()
