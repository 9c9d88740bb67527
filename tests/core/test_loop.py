"""The loop's branches, driven by a function planner over the toy env (a real Gymnasium env)."""

import json

import pytest
from gymnasium.utils.env_checker import check_env

from agentloop import registry
from agentloop.calls import SkillCall
from agentloop.loop import EpisodeSpec, LoopLimits, run_episode
from agentloop.records import StepRecord
from agentloop.roles import EffectValidator, FunctionPlanner, NoCritic, NoValidator, PreconditionCritic, Roles
from agentloop.testing import MemorySink
from agentloop.testing.switches import SwitchesEnv, SwitchesPlanner


def targets(ctx):
    return [w for w in ctx.goal.replace(" and ", " ").split() if w.startswith("lamp_")]


def closed_loop(planner):
    return Roles(planner=planner, critic=PreconditionCritic(), validator=EffectValidator())


def run(env, planner_fn, roles=None, seed=3, **limits):
    sink = MemorySink()
    roles = roles or closed_loop(FunctionPlanner(planner_fn))
    result = run_episode(env, EpisodeSpec("agentloop/toy.switches", seed), roles, LoopLimits(**limits), sink)
    return result, sink.steps


def test_check_env_passes():
    check_env(SwitchesEnv(), skip_render_check=True)


def test_scripted_planner_solves_the_task():
    result, steps = run(SwitchesEnv(), None, roles=closed_loop(SwitchesPlanner()))
    assert result.record.outcome == "success" and result.record.steps == 2
    assert [s.progress for s in steps] == [0.5, 1.0]
    assert all(s.label and s.validator.ok and s.critic.ok for s in steps)
    assert steps[0].state_key != steps[1].state_key


def test_critic_rejects_then_the_revised_action_passes():
    def policy(ctx):
        if not ctx.feedback:  # first proposal: switch off a lamp that is already off
            return SkillCall(name="switch_off", args={"lamp": targets(ctx)[0]})
        todo = [t for t in targets(ctx) if not ctx.scene.node(t).get("on")]
        return SkillCall(name="switch_on", args={"lamp": todo[0]})

    result, steps = run(SwitchesEnv(), policy)
    rec = result.record
    assert rec.outcome == "success" and rec.critic_rejections == 1
    first = steps[0]
    assert [c.executed for c in first.candidates] == [False, True]
    assert not first.candidates[0].verdict.ok and "already off" in first.candidates[0].verdict.reason
    assert first.feedback[0].source == "critic" and first.feedback[0].suggestion
    assert first.action.name == "switch_on" and first.critic.ok


def test_critic_rejections_are_bounded():
    result, steps = run(SwitchesEnv(), lambda ctx: "switch_off(lamp='lamp_0')", max_steps=3, max_critic_rejections=2)
    assert result.record.critic_rejections == 9  # 3 attempts a step, 3 steps
    assert all(s.action is None and not s.critic.ok and s.label is False for s in steps)
    assert result.record.outcome == "truncated"


def test_validator_failure_triggers_a_replan_that_succeeds():
    planner = SwitchesPlanner()
    result, steps = run(SwitchesEnv(slip_first=1), None, roles=closed_loop(planner))
    rec = result.record
    assert rec.outcome == "success"
    assert rec.validator_failures == 1 and rec.replans == 1
    assert not steps[0].validator.ok and "did not have its expected effect" in steps[0].validator.reason
    assert steps[0].replanned and steps[0].feedback[0].source == "validator"
    assert steps[0].label is False and steps[1].label is True
    assert planner.received[0].source == "validator"


def test_open_loop_does_not_validate():
    roles = Roles(planner=SwitchesPlanner(), critic=NoCritic(), validator=NoValidator())
    result, steps = run(SwitchesEnv(slip_first=1), None, roles=roles)
    assert result.record.validator_failures == 0 and result.record.replans == 0
    assert result.record.outcome == "success" and result.record.steps == 3


@pytest.mark.parametrize("text", ["switch_on(lamp=", "fly(to='moon')", "switch_on(lamp=7)", "", "{\"name\": 3}"])
def test_malformed_action_is_a_recorded_step_error(text):
    calls = []

    def policy(ctx):
        calls.append(len(ctx.feedback))
        return text if len(calls) == 1 else SkillCall(name="switch_on", args={"lamp": targets(ctx)[0]})

    env = SwitchesEnv()
    result, steps = run(env, policy, max_steps=4)
    assert steps[0].action is None and steps[0].action_error
    assert steps[0].feedback[0].source == "action_error"
    assert result.record.action_errors == 1
    assert calls[1] == 1  # the planner saw the error before its next proposal
    assert steps[1].action is not None and steps[1].action_error is None


def test_ungroundable_action_reaches_env_and_changes_nothing():
    roles = Roles(planner=FunctionPlanner(lambda ctx: "switch_on(lamp='lamp_99')"), critic=NoCritic(), validator=EffectValidator())
    result, steps = run(SwitchesEnv(), None, roles=roles, max_steps=2)
    assert "there is no lamp_99" in steps[0].action_error
    assert steps[0].rewards.valid_action is False
    assert not steps[0].validator.ok
    assert steps[0].scene_graph == steps[1].scene_graph  # the world did not change


def test_env_that_raises_ends_the_episode_as_error():
    result, steps = run(SwitchesEnv(crash_at_step=1), None, roles=closed_loop(SwitchesPlanner()))
    assert result.record.outcome == "error" and not result.env_ok
    assert "simulated crash" in result.record.error
    assert len(steps) == 1 and "simulated crash" in steps[0].action_error


def test_step_records_are_json_with_phase_timings():
    _, steps = run(SwitchesEnv(), None, roles=closed_loop(SwitchesPlanner()))
    data = json.loads(steps[0].model_dump_json())
    assert data["schema_version"] and data["scene_graph"]["nodes"]
    assert {"propose", "critic", "act", "validate", "total"} <= set(data["timings"])
    assert data["rewards"] == {"env": 0.0, "progress": 0.5, "valid_action": True, "critic": 1.0, "validator": 1.0}


def test_step_records_read_back_from_their_json():
    _, steps = run(SwitchesEnv(), None, roles=closed_loop(SwitchesPlanner()))
    for record in steps:
        assert StepRecord.model_validate_json(record.model_dump_json()) == record


def test_best_of_n_records_every_candidate():
    proposals = iter(["switch_off(lamp='lamp_0')", "switch_on(lamp='lamp_3')", "bogus(", "switch_on(lamp='lamp_4')"] * 10)
    result, steps = run(SwitchesEnv(), lambda ctx: next(proposals), candidates=2, max_steps=2)
    first = steps[0]
    assert len(first.candidates) == 2
    assert not first.candidates[0].executed and first.candidates[1].executed


def test_human_feedback_reaches_the_planner_and_the_record():
    planner = SwitchesPlanner()
    said = iter(["the lamp on the left, not the right", None, None, None])
    sink = MemorySink()
    run_episode(SwitchesEnv(), EpisodeSpec("agentloop/toy.switches", 3), closed_loop(planner), LoopLimits(), sink, human=lambda ctx: next(said))
    assert sink.steps[0].human_feedback == "the lamp on the left, not the right"
    assert planner.received[0].source == "human"


def test_registry_did_you_mean():
    with pytest.raises(registry.EnvNotFound) as e:
        registry.resolve("agentloop/toy.switchs")
    assert "did you mean 'agentloop/toy.switches'" in str(e.value)
    assert registry.resolve("toy.switches") == "agentloop/toy.switches"


def test_irreversible_elements_are_guarded_like_irreversible_skills():
    from agentloop.context import Context, HistoryItem
    from agentloop.perception import Perception
    from agentloop.roles.critic import is_irreversible
    from agentloop.scene import Node, SceneGraph

    env = SwitchesEnv()
    scene = SceneGraph(nodes=[Node(id="lamp_1", kind="button", name="Place order", attrs={"irreversible": True}),
                              Node(id="lamp_2", kind="button", attrs={"on": False})])
    ctx = Context("toy", Perception(scene_graph=scene), None, env.skillset)
    order = env.skillset.bind("switch_on(lamp='lamp_1')")
    assert is_irreversible(order, ctx) and not is_irreversible(env.skillset.bind("switch_on(lamp='lamp_2')"), ctx)
    critic = PreconditionCritic()
    assert critic.review(order, ctx).ok
    ctx.history.append(HistoryItem(index=0, action=str(order.call), targets=("button:Place order",)))
    again = critic.review(order, ctx)
    assert not again.ok and "already ran" in again.reason
    # The same id on a new page names another element: not a repeat.
    ctx.perception = Perception(scene_graph=SceneGraph(
        nodes=[Node(id="lamp_1", kind="button", name="Confirm delete", attrs={"irreversible": True})]))
    assert critic.review(order, ctx).ok
