"""Scripted web planner success per task: MiniWoB++ tasks with a solver, and site.* tasks.

python benchmarks/web_tasks.py [--episodes 10] [--seed 1000] [--tasks miniwob.click-button,...] [--list]
Runs each task's env with the scripted planner (no model) and prints success per task.
"""

from __future__ import annotations

import argparse
import fnmatch
import statistics
import sys
import time

import gymnasium as gym

from agentloop.calls import SkillCall
from agentloop.context import Context, HistoryItem, call_targets
from agentloop.perception import perception_of
from agentloop.registry import load_plugins


def claimed_tasks() -> list[str]:
    load_plugins()
    from agentloop.envs.web.planner import WebPlanner
    from agentloop.envs.web.solving import solved_tasks

    WebPlanner()
    ids = [i.split("/", 1)[1] for i in gym.registry if i.startswith(("agentloop/miniwob.", "agentloop/site."))]
    return sorted({t for p in solved_tasks() for t in ids if fnmatch.fnmatchcase(t, p)})


def run_task(task: str, episodes: int, max_steps: int = 12, seed: int = 1000) -> tuple[int, list[float]]:
    from agentloop.envs.web.planner import WebPlanner

    env = gym.make(f"agentloop/{task}").unwrapped
    planner, wins, times = WebPlanner(), 0, []
    try:
        for ep in range(episodes):
            t0 = time.perf_counter()
            obs, info = env.reset(seed=seed + ep)
            history: list[HistoryItem] = []
            planner.reset(Context.of(f"agentloop/{task}", obs, info, env.skillset))
            for i in range(max_steps):
                ctx = Context.of(f"agentloop/{task}", obs, info, env.skillset, step=i, history=history)
                action = planner.propose(ctx).action
                parsed = SkillCall.parse(action) if isinstance(action, str) else action
                # What the call named, as the loop records it (ids alone can be reused on a new page).
                targets = call_targets(parsed, ctx.scene)
                obs, _, term, trunc, info = env.step(action)
                error = perception_of(info).action_error
                history.append(HistoryItem(index=i, action=str(parsed), action_error=str(error) if error else None,
                                           targets=targets))
                if term or trunc:
                    break
            wins += bool(perception_of(info).success)
            times.append(time.perf_counter() - t0)
    finally:
        env.close()
    return wins, times


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--episodes", type=int, default=10)
    ap.add_argument("--tasks", default="")
    ap.add_argument("--seed", type=int, default=1000, help="episode i runs with seed SEED+i")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    load_plugins()
    tasks = a.tasks.split(",") if a.tasks else claimed_tasks()
    if a.list:
        print("\n".join(tasks))
        return 0
    print(f"{'task':40s} {'success':>8s} {'s/episode':>10s}")
    ok = 0
    for t in tasks:
        try:
            wins, times = run_task(t, a.episodes, 40 if t.startswith("site.") else 15, a.seed)
        except Exception as e:  # a broken solver or task is a row in the table, not the end of it
            print(f"{t:40s} ERROR {type(e).__name__}: {str(e).splitlines()[0][:80]}", flush=True)
            continue
        rate = wins / a.episodes
        ok += rate >= 0.9
        print(f"{t:40s} {wins:3d}/{a.episodes:<4d} {statistics.median(times):10.2f}  {'OK' if rate >= 0.9 else 'BELOW 90%'}", flush=True)
    n_mw = sum(t.startswith("miniwob.") for t in tasks)
    print(f"{ok}/{len(tasks)} tasks at >= 90% success ({n_mw} MiniWoB++, {len(tasks) - n_mw} site; "
          f"{a.episodes} episodes each, seeds {a.seed}..{a.seed + a.episodes - 1})")
    return 0 if ok == len(tasks) else 1


if __name__ == "__main__":
    sys.exit(main())
