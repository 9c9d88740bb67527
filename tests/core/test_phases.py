"""Every way out of an episode does the same bookkeeping, and what the env reports as typed
data reaches the step record (the toy env, a real Gymnasium env, and CartPole)."""

from typing import Any

import gymnasium as gym
import pytest
from pydantic import BaseModel, ConfigDict

from agentloop import ErrorKind, Outcome, perception_of, registry
from agentloop.calls import SkillCall
from agentloop.env import Evaluation, SkillEnv
from agentloop.errors import ModelError
from agentloop.loop import EpisodeSpec, LoopLimits, run_episode
from agentloop.records import FeedbackSource, VerdictSource
from agentloop.roles import EffectValidator, FunctionPlanner, NoCritic, NoValidator, PreconditionCritic, Roles
from agentloop.roles.planner import BasePlanner
from agentloop.skillset import Executors, NoArgs, Skill, SkillSet
from agentloop.testing import MemorySink
from agentloop.testing.switches import SKILLS, SwitchesEnv, SwitchesPlanner

SPEC = EpisodeSpec("agentloop/toy.switches", 3)




def episode(env, planner, critic=None, validator=None, **limits):
    sink = MemorySink()
    roles = Roles(planner, critic or PreconditionCritic(), validator or EffectValidator())
    result = run_episode(env, SPEC, roles, LoopLimits(**limits), sink)
    return result, sink.steps


class FailingPlanner(BasePlanner):
    """Proposes one good action, then raises what it is given."""

    name = "failing"

    def __init__(self, error: Exception, on_reset: bool = False):
        super().__init__()
        self.error, self.on_reset, self.calls = error, on_reset, 0

    def reset(self, ctx):
        super().reset(ctx)
        if self.on_reset:
            raise self.error

    def next_action(self, ctx):
        self.calls += 1
        if self.calls == 1:
            return SkillCall(name="switch_on", args={"lamp": ctx.goal.split()[2]})
        raise self.error


class BrokenReset(SwitchesEnv):
    def _reset_world(self, seed, options):
        raise RuntimeError("the simulator would not start")


EXITS = {
    "success": lambda: episode(SwitchesEnv(), SwitchesPlanner()),
    "truncated": lambda: episode(SwitchesEnv(), FunctionPlanner(lambda ctx: "wait()"), max_steps=3),
    "critic bound": lambda: episode(SwitchesEnv(), FunctionPlanner(lambda ctx: "switch_off(lamp='lamp_0')"),
                                    max_steps=2, max_critic_rejections=1),
    "env crash": lambda: episode(SwitchesEnv(crash_at_step=2), SwitchesPlanner()),
    "planner crash": lambda: episode(SwitchesEnv(), FailingPlanner(RuntimeError("planner bug"))),
    "planner reset": lambda: episode(SwitchesEnv(), FailingPlanner(RuntimeError("no"), on_reset=True)),
    "env reset": lambda: episode(BrokenReset(), SwitchesPlanner()),
    "model error": lambda: episode(SwitchesEnv(), FailingPlanner(ModelError("server gone")), max_steps=3),
    "replans": lambda: episode(SwitchesEnv(slip=1.0), SwitchesPlanner(), max_replans=1),
}


@pytest.mark.parametrize("name", list(EXITS))
def test_every_exit_counts_what_its_steps_hold(name):
    result, steps = EXITS[name]()
    rec = result.record
    assert rec.steps == len(steps) == len({s.index for s in steps})
    assert [s.index for s in steps] == list(range(len(steps)))
    assert rec.total_env_reward == sum(s.rewards.env for s in steps)
    assert rec.critic_rejections == sum(f.source is FeedbackSource.CRITIC for s in steps for f in s.feedback)
    assert rec.replans == sum(s.replanned for s in steps)
    assert rec.model_errors == sum(s.action_error_kind is ErrorKind.MODEL for s in steps)
    assert all("total" in s.timings and s.ended_at >= s.started_at for s in steps)
    assert rec.success == (rec.outcome is Outcome.SUCCESS) and rec.ended_at >= rec.started_at


def test_exits_end_as_they_should():
    outcomes = {name: run()[0].record for name, run in EXITS.items()}
    assert {k: v.outcome for k, v in outcomes.items()} == {
        "success": Outcome.SUCCESS, "truncated": Outcome.TRUNCATED, "critic bound": Outcome.TRUNCATED,
        "env crash": Outcome.ERROR, "planner crash": Outcome.ERROR, "planner reset": Outcome.ERROR,
        "env reset": Outcome.ERROR, "model error": Outcome.TRUNCATED, "replans": Outcome.FAILURE,
    }
    assert "planner bug" in outcomes["planner crash"].error
    assert "would not start" in outcomes["env reset"].error
    assert "gave up after 2 replans" in outcomes["replans"].error


def test_a_model_error_is_a_recorded_step_and_the_episode_goes_on():
    result, steps = EXITS["model error"]()
    assert result.record.model_errors == 2 and result.record.action_errors == 0
    assert steps[1].action is None and steps[1].action_error_kind is ErrorKind.MODEL
    assert "server gone" in steps[1].action_error
    assert steps[1].feedback[0].source is FeedbackSource.MODEL_ERROR


@pytest.mark.parametrize(("text", "kind"), [
    ("switch_on(lamp=", ErrorKind.PARSE), ("fly(to='moon')", ErrorKind.UNKNOWN_SKILL),
    ("switch_on(lamp=7)", ErrorKind.BAD_ARGUMENT), ("switch_on(lamp='lamp_99')", ErrorKind.NO_ELEMENT),
])
def test_the_error_kind_reaches_the_step_record(text, kind):
    result, steps = episode(SwitchesEnv(), FunctionPlanner(lambda ctx: text), critic=NoCritic(), max_steps=1)
    assert steps[0].action_error_kind is kind and result.record.action_errors == 1
    data = steps[0].model_dump(mode="json")
    assert data["action_error_kind"] == kind.value


def test_the_perception_is_one_typed_object_under_one_key():
    env = registry.make("agentloop/toy.switches")
    _, info = env.reset(seed=1)
    assert set(info) == {"agentloop"}
    p = perception_of(info)
    assert p.goal.startswith("switch on") and p.scene_graph is not None and p.task == "switches"
    _, _, _, _, info = env.step("switch_on(lamp='lamp_9')")
    failure = perception_of(info).action_error
    assert failure is not None and failure.kind is ErrorKind.NO_ELEMENT and "no lamp_9" in failure.message
    assert not perception_of(info).rewards.valid_action


def test_critic_agreement_counts_judged_verdicts_only():
    result, _ = episode(SwitchesEnv(slip_first=1), SwitchesPlanner())
    agree = result.record.critic_agreement
    assert (agree.accepted_passed, agree.accepted_failed, agree.rejected) == (2, 1, 0)
    assert agree.precision == pytest.approx(2 / 3)
    result, steps = episode(SwitchesEnv(), SwitchesPlanner(), critic=NoCritic(), validator=NoValidator())
    assert steps[0].critic.source is VerdictSource.NONE
    assert result.record.critic_agreement.precision is None


class Ping(Skill):
    """Ping."""

    name = "ping"


class Pong(Skill):
    """Pong."""

    name = "pong"


def test_a_skill_without_an_executor_is_an_error_when_the_class_is_defined():
    skills = SkillSet([Ping, Pong])

    def ping(self, args: NoArgs) -> None:
        return None

    with pytest.raises(TypeError, match="no executor for pong"):
        Executors(skills, {Ping: ping})
    with pytest.raises(TypeError, match="not in the skill set: switch_on"):
        Executors(skills, {Ping: ping, Pong: ping, SKILLS["switch_on"].__class__: ping})
    with pytest.raises(TypeError, match="Executors table made for it"):
        type("NoTable", (SkillEnv,), {"skillset": skills})


class LampArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lamp: str


def test_executors_receive_the_skills_typed_arguments():
    seen: list[Any] = []

    class Recording(SwitchesEnv):
        def _switch_on(self, args):
            seen.append(args)
            super()._switch_on(args)

        executors = Executors(SKILLS, {**{type(s): getattr(SwitchesEnv, f"_{s.name}") for s in SKILLS if not s.by_loop},
                                       type(SKILLS["switch_on"]): _switch_on})

    env = Recording()
    env.reset(seed=0)
    env.step('switch_on(lamp="lamp_1")')
    assert type(seen[0]).__name__ == "LampArgs" and seen[0].lamp == "lamp_1"


def test_a_plain_gymnasium_env_runs_through_the_adapter():
    env = gym.make("CartPole-v1")
    roles = Roles(FunctionPlanner(lambda ctx: int(ctx.observation[2] > 0)), NoCritic(), NoValidator())
    sink = MemorySink()
    result = run_episode(env, EpisodeSpec("CartPole-v1", 0), roles, LoopLimits(max_steps=20), sink)
    assert result.record.steps == 20 and result.record.outcome is Outcome.TRUNCATED
    assert all(s.action.name == "act" and s.action.args["action"] in (0, 1) for s in sink.steps)
    assert result.record.total_env_reward == 20.0


def test_evaluation_accepts_a_plain_tuple():
    assert Evaluation(*(1.0, True, 1.0, True)).success
