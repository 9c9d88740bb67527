"""Android env on the ADB server double: the scripted planner against a random-click baseline.

Runs every task the double hosts through `run_episode` (rule critic + effect validator) and
prints success rate, mean steps, the critic's rejections and the validator's failures, and mean
seconds per step (observe = uiautomator dump +
screencap over adbutils, both through the double's real adb protocol).
Run: python benchmarks/android_double.py [episodes_per_task]
"""

from __future__ import annotations

import random
import sys
import time

from agentloop.calls import SkillCall
from agentloop.context import Context
from agentloop.envs.android.double import AdbServerDouble
from agentloop.envs.android.env import AndroidEnv
from agentloop.envs.android.planner import AndroidPlanner
from agentloop.envs.android.tasks import TASKS
from agentloop.loop import EpisodeSpec, LoopLimits, run_episode
from agentloop.roles import EffectValidator, FunctionPlanner, PreconditionCritic, Roles
from agentloop.skills.android import Click, OpenApp


def random_clicker(seed: int) -> FunctionPlanner:
    """A baseline that clicks a random clickable element, or now and then opens a random app."""
    rng = random.Random(seed)

    def act(ctx: Context) -> SkillCall:
        nodes = [n for n in (ctx.scene.nodes if ctx.scene else []) if n.get("clickable")]
        if not nodes or rng.random() < 0.15:
            return SkillCall(name=OpenApp.name, args={"app_name": rng.choice(["Settings", "Clock", "Contacts"])})
        return SkillCall(name=Click.name, args={"element": int(rng.choice(nodes).id)})

    return FunctionPlanner(act, name="random")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    tasks = [t for t, task in TASKS.items() if task.on_double]
    rows = []
    with AdbServerDouble(0) as srv:
        for label, make_planner in [("scripted", lambda s: AndroidPlanner()), ("random clicks", random_clicker)]:
            ok = steps = rejections = failures = 0
            t0 = time.perf_counter()
            for task in tasks:
                for seed in range(n):
                    env = AndroidEnv(task=task, adb_port=srv.port, settle_s=0.0)
                    roles = Roles(planner=make_planner(seed), critic=PreconditionCritic(), validator=EffectValidator())
                    rec = run_episode(env, EpisodeSpec(f"agentloop/android.{task}", seed), roles,
                                      LoopLimits(max_steps=TASKS[task].max_steps)).record
                    env.close()
                    ok += rec.success
                    steps += rec.steps
                    rejections, failures = rejections + rec.critic_rejections, failures + rec.validator_failures
            dt = time.perf_counter() - t0
            eps = len(tasks) * n
            rows.append((label, ok / eps, steps / eps, rejections, failures, dt / max(steps, 1)))
    print(f"{len(tasks)} tasks x {n} episodes on the ADB server double")
    print(f"{'planner':<14} {'success':>8} {'mean steps':>11} {'rejected':>9} {'val fail':>9} {'s/step':>8}")
    for label, sr, ms, rej, fails, sps in rows:
        print(f"{label:<14} {sr:>8.0%} {ms:>11.1f} {rej:>9d} {fails:>9d} {sps:>8.3f}")


if __name__ == "__main__":
    main()
