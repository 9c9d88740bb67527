"""Closed loop (rule critic + effect validator) against the open loop (no critic, no
validator) on every robot task, same task seeds for both, with the Franka arm (default) or
the fast mode (`--arm none`), with or without injected failures (`--disturb`). The closed
loop's validator failures are counted per 100 skills and broken down by what failed, so the
failures that come from the arm's own motions (`--disturb 0`) can be seen.

    python benchmarks/closed_loop.py [--episodes 20] [--disturb 0.3] [--arm panda] [--tasks a,b]

Targets: with --disturb 0.3, the closed loop >= 80 % on each task and the open loop at least
25 points lower on average; with --disturb 0, the closed loop >= 90 % on each task.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from typing import NamedTuple

os.environ.setdefault("MUJOCO_GL", "egl")

from rich.console import Console
from rich.table import Table

from agentloop.context import Context
from agentloop.effects import EffectKind
from agentloop.envs.robot import TASK_TABLE
from agentloop.loop import EpisodeSpec, LoopLimits, run_episode
from agentloop.loop.state import make_env
from agentloop.records import RunConfig, StepRecord, Verdict
from agentloop.roles import Roles
from agentloop.roles.factory import build_roles
from agentloop.roles.validator import EffectValidator
from agentloop.scene import SceneGraph
from agentloop.skillset import BoundCall


class CountingValidator(EffectValidator):
    """The effect validator, noting for each failure what it missed: the skill's own effect
    (`pick: holding`, `place: in`, `open: open`, ...) or, when only that held, that
    something else the skill had no business moving moved."""

    def __init__(self) -> None:
        super().__init__()
        self.missed: Counter[str] = Counter()

    def check(self, action: BoundCall, before: Context, after: Context) -> Verdict:
        verdict = super().check(action, before, after)
        if verdict.ok or after.perception.action_error is not None or before.scene is None or after.scene is None:
            return verdict
        diff = SceneGraph.diff(before.scene, after.scene)
        moved = {getattr(action.args, k, None) for k in ("object", "container", "cover")}
        missed = [e for e in action.skill.expected_effect(before.scene, action.args)
                  if not e.holds(before.scene, after.scene, diff)]
        own = [e for e in missed if e.kind is not EffectKind.RELATION or e.node in moved]
        label = (own[0].key or own[0].rel or own[0].kind.value) if own else "something else moved"
        self.missed[f"{action.call.name}: {label}"] += 1
        return verdict


class _Skills:
    """A sink that counts the skills that ran."""

    def __init__(self) -> None:
        self.ran = 0

    def frame(self, index: int, frame: object) -> None:
        return None

    def step(self, record: StepRecord) -> None:
        self.ran += record.action is not None and record.action_error is None


class Result(NamedTuple):
    """One loop's run of one task."""

    successes: int
    steps: float
    skills: int
    validator_failures: int
    critic_rejections: int
    missed: Counter[str]


def run(task: str, episodes: int, disturb: float, arm: str, closed: bool) -> Result:
    env_id = f"agentloop/robot.{task}"
    mode = "rule" if closed else "none"
    config = RunConfig(env_id=env_id, critic=mode, validator=mode, env_kwargs={"disturb": disturb, "arm": arm})
    env = make_env(config)  # as the runner makes it: its step limit the loop's own
    ok = steps = skills = failures = rejections = 0
    missed: Counter[str] = Counter()
    for seed in range(episodes):
        roles = build_roles(config, env)
        counting = CountingValidator()
        if closed:
            roles = Roles(roles.planner, roles.critic, counting)
        sink = _Skills()
        limits = LoopLimits.of(config)
        rec = run_episode(env, EpisodeSpec(env_id, seed), roles, limits, sink).record
        ok, steps, skills = ok + rec.success, steps + rec.steps, skills + sink.ran
        failures, rejections = failures + rec.validator_failures, rejections + rec.critic_rejections
        missed += counting.missed
    env.close()
    return Result(ok, steps / episodes, skills, failures, rejections, missed)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--episodes", type=int, default=20)
    ap.add_argument("--disturb", type=float, default=0.3)
    ap.add_argument("--arm", default="panda", choices=["panda", "none"])
    ap.add_argument("--tasks", default=",".join(TASK_TABLE))
    ap.add_argument("--closed-only", action="store_true", help="skip the open loop")
    args = ap.parse_args()
    table = Table(title=f"success, arm={args.arm}, --disturb {args.disturb}, {args.episodes} seeds per task")
    for col in ("task", "closed loop", "open loop", "gap (points)", "steps closed", "steps open", "validator fails / 100 skills",
                "critic rejections"):
        table.add_column(col)
    gaps, missed, skills, t0 = [], Counter[str](), 0, time.perf_counter()
    for task in args.tasks.split(","):
        c = run(task, args.episodes, args.disturb, args.arm, True)
        o = None if args.closed_only else run(task, args.episodes, args.disturb, args.arm, False)
        pc = 100 * c.successes / args.episodes
        po = None if o is None else 100 * o.successes / args.episodes
        gaps += [] if po is None else [pc - po]
        missed, skills = missed + c.missed, skills + c.skills
        table.add_row(task, f"{pc:.0f} %", "-" if po is None else f"{po:.0f} %", "-" if po is None else f"{pc - po:+.0f}",
                      f"{c.steps:.1f}", "-" if o is None else f"{o.steps:.1f}",
                      f"{100 * c.validator_failures / max(c.skills, 1):.1f}", str(c.critic_rejections))
    if gaps:
        table.add_row("mean", "", "", f"{sum(gaps) / len(gaps):+.1f}", "", "", "", "")
    console = Console(width=140)
    console.print(table)
    kinds = Table(title=f"closed loop: validator failures by what they missed ({skills} skills ran)")
    for col in ("skill: what failed", "count", "per 100 skills"):
        kinds.add_column(col)
    for what, n in missed.most_common():
        kinds.add_row(what, str(n), f"{100 * n / max(skills, 1):.1f}")
    console.print(kinds)
    print(f"{time.perf_counter() - t0:.0f} s; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cpus")


if __name__ == "__main__":
    main()
