"""Cost of one robot skill step (physics + one RGB frame + one segmentation pass + scene
graph), beside a bare MuJoCo render of the same scene at the same size, with the step's own
phases as the env reports them (`Perception.timings`).

    python benchmarks/robot_step.py [--steps 60] [--task tidy-up]

Target: median skill step <= 0.25 s on this machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import Counter, defaultdict

os.environ.setdefault("MUJOCO_GL", "egl")

from rich.console import Console
from rich.table import Table

from agentloop.envs.robot.env import RobotEnv
from agentloop.envs.robot.planner import RobotPlanner
from agentloop.perception import perception_of
from agentloop.roles.context import Context

PHASES = {"act": "  act (skill executor: physics)", "render": "  RGB frame",
          "perceive": "  segmentation + scene graph"}


def measure(env: RobotEnv, steps: int) -> tuple[dict[str, list[float]], Counter[str]]:
    """Drive the scripted planner over seeded episodes until `steps` steps are timed."""
    times: dict[str, list[float]] = defaultdict(list)
    names: Counter[str] = Counter()
    seed = 0
    while len(times["step"]) < steps:
        obs, info = env.reset(seed=seed)
        env_id = f"agentloop/robot.{env.task_name}"
        ctx = Context.of(env_id, obs, info, env.skillset)
        planner = RobotPlanner()
        planner.reset(ctx)
        seed += 1
        for i in range(30):
            call = planner.propose(ctx).action
            t0 = time.perf_counter()
            obs, _, term, _, info = env.step(call)
            times["step"].append(time.perf_counter() - t0)
            names[call.name] += 1
            for phase, seconds in perception_of(info).timings.items():
                times[phase].append(seconds)
            # The bare peer: one MuJoCo render of the same scene, same camera and size.
            assert env.camera is not None and env.world is not None
            t0 = time.perf_counter()
            env.camera.renderer.update_scene(env.world.data, "main")
            env.camera.renderer.render()
            times["bare"].append(time.perf_counter() - t0)
            ctx = Context.of(env_id, obs, info, env.skillset, step=i + 1)
            if term or len(times["step"]) >= steps:
                break
    return times, names


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--task", default="tidy-up")
    args = ap.parse_args()
    env = RobotEnv(args.task)
    times, names = measure(env, args.steps)
    env.close()
    table = Table(title=f"robot step cost ({args.task}, {env.width}x{env.height}, {len(times['step'])} steps; "
                        f"skills {dict(names)})")
    for col in ("what", "median ms", "p90 ms", "mean ms"):
        table.add_column(col)
    rows = [("skill step (physics + frame + segmentation + graph)", "step")]
    rows += [(label, key) for key, label in PHASES.items()] + [("bare MuJoCo render, same scene", "bare")]
    for label, key in rows:
        xs = times[key]
        q = statistics.quantiles(xs, n=10)
        table.add_row(label, f"{statistics.median(xs) * 1000:.1f}", f"{q[-1] * 1000:.1f}",
                      f"{statistics.fmean(xs) * 1000:.1f}")
    Console().print(table)
    med = statistics.median(times["step"])
    print(f"median skill step {med:.3f} s: {'within' if med <= 0.25 else 'OVER'} the 0.25 s target; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cpus")


if __name__ == "__main__":
    main()
