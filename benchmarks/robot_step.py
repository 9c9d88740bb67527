"""Cost of one robot skill step (motion + one RGB frame + one segmentation pass + scene graph),
beside a bare MuJoCo render of the same scene at the same size, with the step's own phases as
the env reports them (`Perception.timings`) and the simulated seconds each skill's motion took
(`Perception.extra["sim_seconds"]`), per skill.

    python benchmarks/robot_step.py [--steps 60] [--task tidy-up] [--arm panda|none]

Targets: with the arm, every skill completes in <= 1 s wall (median and p90 per skill); in the
fast mode (`--arm none`) the median skill step is <= 0.25 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import defaultdict

os.environ.setdefault("MUJOCO_GL", "egl")

from rich.console import Console
from rich.table import Table

from agentloop.context import Context
from agentloop.envs.robot.env import RobotEnv
from agentloop.envs.robot.planner import RobotPlanner
from agentloop.perception import perception_of

PHASES = {"act": "  act (skill executor: IK, motion, physics)", "physics": "    of which mj_step",
          "render": "  RGB frame", "perceive": "  segmentation + scene graph"}
ARM_TARGET, FAST_TARGET = 1.0, 0.25  # seconds of wall time per skill step


def _bare_render(env: RobotEnv) -> float:
    assert env.camera is not None and env.world is not None
    t0 = time.perf_counter()
    env.camera.renderer.update_scene(env.world.data, "main")
    env.camera.renderer.render()
    return time.perf_counter() - t0


def measure(env: RobotEnv, steps: int) -> tuple[dict[str, list[float]], dict[str, list[tuple[float, float]]]]:
    """Drive the scripted planner over seeded episodes until `steps` steps are timed: phase
    times, and per skill its (wall, simulated) seconds."""
    times: dict[str, list[float]] = defaultdict(list)
    skills: dict[str, list[tuple[float, float]]] = defaultdict(list)
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
            wall = time.perf_counter() - t0
            p = perception_of(info)
            times["step"].append(wall)
            skills[call.name].append((wall, float(p.extra.get("sim_seconds", 0.0))))
            for phase, seconds in p.timings.items():
                times[phase].append(seconds)
            times["bare"].append(_bare_render(env))  # the peer: one MuJoCo render, same scene and size
            ctx = Context.of(env_id, obs, info, env.skillset, step=i + 1)
            if term or len(times["step"]) >= steps:
                break
    return times, skills


def _ms(xs: list[float]) -> tuple[str, str, str]:
    q = statistics.quantiles(xs, n=10) if len(xs) > 1 else xs * 9
    return f"{statistics.median(xs) * 1000:.1f}", f"{q[-1] * 1000:.1f}", f"{statistics.fmean(xs) * 1000:.1f}"


def phase_table(title: str, times: dict[str, list[float]]) -> Table:
    table = Table(title=title)
    for col in ("what", "median ms", "p90 ms", "mean ms"):
        table.add_column(col)
    rows = [("skill step (motion + frame + segmentation + graph)", "step")]
    rows += [(label, key) for key, label in PHASES.items()] + [("bare MuJoCo render, same scene", "bare")]
    for label, key in rows:
        if times.get(key):
            table.add_row(label, *_ms(times[key]))
    return table


def skill_table(skills: dict[str, list[tuple[float, float]]]) -> Table:
    table = Table(title="per skill: wall time and the simulated time of its motion")
    for col in ("skill", "n", "wall median ms", "wall p90 ms", "wall max ms", "sim median s", "sim / wall"):
        table.add_column(col)
    for name, rows in sorted(skills.items()):
        walls, sims = [w for w, _ in rows], [s for _, s in rows]
        med, p90, _ = _ms(walls)
        ratio = sum(sims) / max(sum(walls), 1e-9)
        table.add_row(name, str(len(rows)), med, p90, f"{max(walls) * 1000:.1f}",
                      f"{statistics.median(sims):.2f}", f"{ratio:.1f}x")
    return table


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--task", default="tidy-up")
    ap.add_argument("--arm", default="panda", choices=["panda", "none"])
    args = ap.parse_args()
    env = RobotEnv(args.task, arm=args.arm)
    times, skills = measure(env, args.steps)
    env.close()
    console = Console()
    console.print(phase_table(f"robot step cost ({args.task}, arm={args.arm}, {env.width}x{env.height}, "
                              f"{len(times['step'])} steps)", times))
    console.print(skill_table(skills))
    target = ARM_TARGET if args.arm == "panda" else FAST_TARGET
    worst = max(statistics.median([w for w, _ in rows]) for rows in skills.values())
    print(f"slowest skill's median step {worst:.3f} s: {'within' if worst <= target else 'OVER'} the {target} s "
          f"target; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cpus")


if __name__ == "__main__":
    main()
