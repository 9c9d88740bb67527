"""One policy for failure: a crash in any role or plug-in ends its episode as `error` with a
one-line reason naming the role, the traceback goes to the record and the run's errors.log,
the run goes on, and it is the same under every executor, with no traceback on the terminal."""

import subprocess
import sys
from pathlib import Path

import pytest

from agentloop.errors import Role
from agentloop.loop import EpisodeSpec, LoopLimits, run_episode
from agentloop.recording import RunDir
from agentloop.records import Outcome, Verdict
from agentloop.roles import EffectValidator, PreconditionCritic, Roles
from agentloop.testing import MemorySink
from agentloop.testing.switches import SwitchesEnv, SwitchesPlanner

REPO = Path(__file__).parents[2]


class Boom(RuntimeError):
    pass


class CrashingPlanner(SwitchesPlanner):
    def __init__(self, where: str):
        super().__init__()
        self.where = where

    def reset(self, ctx):
        super().reset(ctx)
        if self.where == "reset":
            raise Boom("in reset")

    def next_action(self, ctx):
        if self.where == "propose" and ctx.step == 1:
            raise Boom("in propose")
        return super().next_action(ctx)

    def feedback(self, fb, ctx):
        if self.where == "feedback":
            raise Boom("in feedback")


class CrashingCritic(PreconditionCritic):
    def review(self, action, ctx):
        if ctx.step == 1:
            raise Boom("in review")
        return super().review(action, ctx)


class CrashingValidator(EffectValidator):
    def check(self, action, before, after):
        raise Boom("in check")


class RejectingCritic(PreconditionCritic):  # makes feedback flow, for the planner's feedback hook
    def review(self, action, ctx):
        return Verdict(ok=False, score=0.0, reason="no")


class CrashingSink(MemorySink):
    def __init__(self, where: str):
        super().__init__()
        self.where = where

    def frame(self, index, frame):
        if self.where == "frame" and index == 1:
            raise Boom("in frame")
        return None

    def step(self, record):
        if self.where == "step" and record.index == 1:
            raise Boom("in step")
        super().step(record)


def crashing_human(ctx):
    raise Boom("in human")


def crash(role: Role, where: str):
    planner = CrashingPlanner(where if role is Role.PLANNER else "")
    critic = {Role.CRITIC: CrashingCritic(), Role.PLANNER: RejectingCritic() if where == "feedback" else None}.get(role)
    validator = CrashingValidator() if role is Role.VALIDATOR else EffectValidator()
    sink = CrashingSink(where if role is Role.SINK else "")
    human = crashing_human if role is Role.HUMAN else None
    roles = Roles(planner, critic or PreconditionCritic(), validator)
    env = SwitchesEnv()
    result = run_episode(env, EpisodeSpec("agentloop/toy.switches", 3), roles, LoopLimits(max_steps=6), sink, human)
    return result.record, sink.steps


@pytest.mark.parametrize(("role", "where"), [
    (Role.PLANNER, "reset"), (Role.PLANNER, "propose"), (Role.PLANNER, "feedback"), (Role.CRITIC, ""),
    (Role.VALIDATOR, ""), (Role.SINK, "frame"), (Role.SINK, "step"), (Role.HUMAN, ""),
])
def test_a_crash_in_any_role_ends_its_episode_as_an_error_naming_the_role(role, where):
    rec, steps = crash(role, where)
    assert rec.outcome is Outcome.ERROR and not rec.success
    assert rec.error.startswith(f"{role.value} crashed: Boom: in ")
    assert "\n" not in rec.error
    assert "Traceback" in rec.error_trace and "raise Boom" in rec.error_trace
    assert rec.steps == len(steps)  # the counts agree with what was kept
    if role is Role.CRITIC:  # the step the crash cut short is recorded, with what was decided so far
        assert steps[-1].index == 1 and steps[-1].candidates and steps[-1].action is None


def cli(*args):
    return subprocess.run([sys.executable, "-m", "agentloop", *args], capture_output=True, text=True,
                          timeout=300, cwd=REPO)


@pytest.mark.parametrize("executor", [[], ["--concurrency", "2"], ["--workers", "2"],
                                      ["--executor", "ray", "--workers", "2"]], ids=["alone", "threads", "processes", "ray"])
def test_a_plug_in_crash_ends_the_same_under_every_executor(tmp_path, executor):
    if "ray" in executor:
        pytest.importorskip("ray")
    out = tmp_path / "run"
    r = cli("run", "toy.switches", "-n", "4", "--planner", "tests.core.crashing_planner:planner",
            "--no-frames", "--out", str(out), *executor)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    recs = {rec.seed: rec for _, rec in RunDir(out).episodes()}
    errors = {s for s, rec in recs.items() if rec.outcome == Outcome.ERROR}
    assert len(recs) == 4 and errors and len(errors) < 4  # the run went on past the crashes
    assert {s: rec.error for s, rec in recs.items() if s in errors} == dict.fromkeys(
        errors, "planner crashed: KeyError: 'lamp_9'")
    assert f"crashed: the tracebacks are in {out / 'errors.log'}" in " ".join(r.stdout.split())
    log = (out / "errors.log").read_text()
    assert log.count("KeyError: 'lamp_9'") >= len(errors) and "Traceback" in log
    assert all(recs[s].success for s in recs if s not in errors)
