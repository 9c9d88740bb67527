"""Cost of one robot skill step (physics + one RGB frame + one segmentation pass + scene
graph), beside a bare MuJoCo render of the same scene at the same size.

    python benchmarks/robot_step.py [--steps 60] [--task tidy-up]

Target: median skill step <= 0.25 s on this machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("MUJOCO_GL", "egl")

from rich.console import Console
from rich.table import Table

from agentloop.envs.robot.env import RobotEnv
from agentloop.envs.robot.planner import RobotPlanner
from agentloop.roles.context import Context


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--task", default="tidy-up")
    args = ap.parse_args()
    env = RobotEnv(args.task)
    step_times: list[float] = []
    render_times: list[float] = []
    names: dict[str, int] = {}
    seed = 0
    while len(step_times) < args.steps:
        obs, info = env.reset(seed=seed)
        seed += 1
        planner = RobotPlanner()
        ctx = Context("robot", info["goal"], info["skills"], env.skillset, info["scene_graph"], obs, info)
        planner.reset(ctx)
        planner.plan(ctx)
        for _ in range(30):
            call = planner.next_action(ctx)
            t0 = time.perf_counter()
            obs, _, term, _, info = env.step(call)
            step_times.append(time.perf_counter() - t0)
            names[call.name] = names.get(call.name, 0) + 1
            # The bare peer: one MuJoCo render of the same scene, same camera and size.
            t0 = time.perf_counter()
            env.camera.renderer.update_scene(env.world.data, "main")
            env.camera.renderer.render()
            render_times.append(time.perf_counter() - t0)
            ctx = Context("robot", info["goal"], info["skills"], env.skillset, info["scene_graph"], obs, info)
            if term or len(step_times) >= args.steps:
                break
    env.close()
    table = Table(title=f"robot step cost ({args.task}, {env.width}x{env.height}, {len(step_times)} steps; skills {names})")
    for col in ("what", "median ms", "p90 ms", "mean ms"):
        table.add_column(col)
    for label, xs in (("skill step (physics + frame + segmentation + graph)", step_times),
                      ("bare MuJoCo render, same scene", render_times)):
        q = statistics.quantiles(xs, n=10)
        table.add_row(label, f"{statistics.median(xs) * 1000:.1f}", f"{q[-1] * 1000:.1f}", f"{statistics.fmean(xs) * 1000:.1f}")
    Console().print(table)
    med = statistics.median(step_times)
    print(f"median skill step {med:.3f} s: {'within' if med <= 0.25 else 'OVER'} the 0.25 s target; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cpus")


if __name__ == "__main__":
    main()
