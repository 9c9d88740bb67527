"""Signals a trainer can trust, on the toy: one step limit that --max-steps raises or lowers,
and a validator verdict that never contradicts the env's own account of a step."""

import subprocess
import sys
from pathlib import Path

import pytest

from agentloop.loop import EpisodeSpec, LoopLimits, run_episode
from agentloop.recording import RunDir
from agentloop.records import Outcome, Verdict, VerdictSource
from agentloop.roles import EffectValidator, PreconditionCritic, Roles
from agentloop.testing import MemorySink
from agentloop.testing.switches import SwitchesEnv, SwitchesPlanner

REPO = Path(__file__).parents[2]


@pytest.mark.parametrize("limit", [7, 80])  # toy.switches is registered with 50
def test_max_steps_is_the_one_step_limit_both_ways(tmp_path, limit):
    out = tmp_path / "run"
    r = subprocess.run([sys.executable, "-m", "agentloop", "run", "toy.switches", "--planner",
                        "tests.core.waiting_planner:planner", "--max-steps", str(limit), "--no-frames",
                        "--out", str(out)], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert r.returncode == 0, r.stderr
    [(_, rec)] = list(RunDir(out).episodes())
    assert rec.outcome == Outcome.TRUNCATED and rec.steps == limit


class Naysayer:
    """A judge that fails every step."""

    name = "naysayer"

    def check(self, action, before, after):
        return Verdict(ok=False, score=0.0, reason="looks wrong to me", source=VerdictSource.VLM)


def test_a_step_after_which_the_env_reports_progress_is_never_labelled_failed():
    sink = MemorySink()
    env = SwitchesEnv(slip_first=1)  # the first switch does nothing: no progress there
    roles = Roles(SwitchesPlanner(), PreconditionCritic(), Naysayer())
    rec = run_episode(env, EpisodeSpec("agentloop/toy.switches", 4), roles, LoopLimits(max_steps=10), sink).record
    assert rec.success
    for step in sink.steps:
        moved = step.success or step.progress > (sink.steps[step.index - 1].progress if step.index else 0.0)
        assert step.validator.ok is moved and step.label is moved
        assert (step.validator.overruled == "looks wrong to me") is moved
    assert sink.steps[-1].validator.ok and any(not s.validator.ok for s in sink.steps)


def test_the_critics_suggestion_names_the_condition_to_reach():
    from agentloop.calls import SkillCall
    from agentloop.context import Context
    from agentloop.envs.robot.env import RobotEnv

    env = RobotEnv(task="pick-place", arm="none")
    obs, info = env.reset(seed=3)
    ctx = Context.of("agentloop/robot.pick-place", obs, info, env.skillset)
    obj = next(n.id for n in ctx.scene.nodes if n.kind == "object")
    verdict = PreconditionCritic().review(env.skillset.bind(SkillCall(name="place", args={
        "object": obj, "target": "table"})), ctx)
    assert not verdict.ok and verdict.reason == f"the gripper does not hold {obj}"
    assert verdict.suggestion == f"{obj} held: pick it first"
    env.close()


def test_an_injected_failure_is_named_in_the_steps_env_facts():
    from agentloop.perception import INJECTED

    sink = MemorySink()
    roles = Roles(SwitchesPlanner(), PreconditionCritic(), EffectValidator())
    run_episode(SwitchesEnv(slip_first=1), EpisodeSpec("agentloop/toy.switches", 4), roles, LoopLimits(max_steps=10),
                sink)
    assert sink.steps[0].env_info[INJECTED] == ["slip"] and not sink.steps[0].validator.ok
    assert all(INJECTED not in s.env_info for s in sink.steps[1:])
