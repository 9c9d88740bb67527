"""The MuJoCo tabletop: env contract, perception of hidden objects, disturbances and the
scripted planner driving the closed loop (real MuJoCo, real EGL rendering). These run the fast
mode (`arm="none"`); `test_arm.py` drives the Franka Panda."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from agentloop import registry
from agentloop.context import Context
from agentloop.envs.robot import TASK_TABLE
from agentloop.envs.robot.env import RobotEnv
from agentloop.envs.robot.planner import RobotPlanner
from agentloop.errors import ErrorKind
from agentloop.loop import EpisodeSpec, LoopLimits, run_episode
from agentloop.perception import perception_of
from agentloop.records import EpisodeRecord, Feedback, FeedbackSource
from agentloop.roles import FunctionPlanner, Roles
from agentloop.roles.critic import PreconditionCritic
from agentloop.roles.validator import EffectValidator
from agentloop.testing import MemorySink

TASKS = list(TASK_TABLE)
FAST = "none"  # the fast mode: an unseen gripper that sets poses


def _closed_loop(env: gym.Env, task: str, seed: int) -> EpisodeRecord:
    roles = Roles(RobotPlanner(), PreconditionCritic(), EffectValidator())
    return run_episode(env, EpisodeSpec(f"agentloop/robot.{task}", seed), roles, LoopLimits(max_steps=30)).record


def _goal_object(info: dict) -> str:
    return perception_of(info).extra["goal_spec"]["predicates"][0]["object"]


@pytest.mark.parametrize("task", TASKS)
def test_check_env(task: str) -> None:
    registry.load_plugins()
    # Made from its registered spec, so the checker also tries the other render modes.
    env = gym.make(f"agentloop/robot.{task}", arm=FAST).unwrapped
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a checker warning fails the test too
            check_env(env)
    finally:
        env.close()


def test_made_env_passes_the_passive_checker_without_warnings() -> None:
    registry.load_plugins()  # registers the agentloop/ ids with Gymnasium
    env = gym.make("agentloop/robot.pick-place")
    try:
        assert env.spec is not None and not env.spec.disable_env_checker
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # any checker warning fails the test
            obs, info = env.reset(seed=0)
            assert env.observation_space.contains(obs)
            for action in ('pick(object="unicorn")', env.action_space.sample(), 'look(at="table")'):
                obs, reward, term, trunc, info = env.step(action)
                assert env.observation_space.contains(obs)
                assert isinstance(reward, float) and perception_of(info).task == "pick-place"
    finally:
        env.close()


@pytest.mark.parametrize("task", TASKS)
def test_scripted_planner_solves_task(task: str) -> None:
    env = gym.wrappers.TimeLimit(RobotEnv(task, arm=FAST), TASK_TABLE[task][0])
    for seed in (3, 11):
        rec = _closed_loop(env, task, seed)
        assert rec.success, (task, seed, rec.outcome, rec.error)
        assert rec.final_progress == 1.0
    env.close()


def test_registered_ids_make_envs() -> None:
    ids = {e.id for e in registry.list_envs()}
    assert {f"agentloop/robot.{t}" for t in TASKS} <= ids
    env = registry.make("agentloop/robot.occluded", disturb=0.2)
    assert env.unwrapped.disturb == 0.2
    env.close()


def test_perception_reports_goal_spec_task_and_timings() -> None:
    env = RobotEnv("tidy-up", arm=FAST)
    _, info = env.reset(seed=1)
    p = perception_of(info)
    preds = p.extra["goal_spec"]["predicates"]
    assert p.task == "tidy-up" and p.goal.startswith("tidy up")
    assert {q["rel"] for q in preds} == {"in", "closed"}
    assert {"render", "perceive", "reset", "observe"} <= set(p.timings)
    assert p.progress is not None and 0.0 <= p.progress < 1.0 and not p.success
    env.close()


def test_hidden_object_absent_until_drawer_opened() -> None:
    env = RobotEnv("find-in-drawer", arm=FAST)
    _, info = env.reset(seed=5)
    target = _goal_object(info)
    assert target not in perception_of(info).scene_graph
    assert env.world is not None
    where = env.world.location_of(target)
    assert where is not None and where.startswith("drawer_")
    _, _, _, _, info = env.step(f'open(container="{where}")')
    p = perception_of(info)
    assert p.action_error is None
    assert target in p.scene_graph and p.scene_graph.has(target, "in", where)
    # Shut again, it is out of sight again.
    _, _, _, _, info = env.step(f'close(container="{where}")')
    assert target not in perception_of(info).scene_graph
    env.close()


def test_object_under_cup_appears_when_lifted() -> None:
    env = RobotEnv("occluded", arm=FAST)
    _, info = env.reset(seed=2)
    target = _goal_object(info)
    scene = perception_of(info).scene_graph
    assert target not in scene and "cup" in scene
    _, _, _, _, info = env.step('lift(cover="cup")')
    scene = perception_of(info).scene_graph
    assert target in scene and scene.node("cup").get("lifted") is True
    env.close()


@pytest.mark.parametrize(("action", "kind"), [
    ('pick(object="unicorn")', ErrorKind.NO_ELEMENT),
    ("pick(object=3)", ErrorKind.BAD_ARGUMENT),
    ("fly(to='moon')", ErrorKind.UNKNOWN_SKILL),
    ("%%% gibberish", ErrorKind.PARSE),
    ("", ErrorKind.PARSE),
    ('place(object="red_cube")', ErrorKind.BAD_ARGUMENT),
    ('open(container="blue_bowl")', ErrorKind.NO_ELEMENT),
    ('push(object="x", direction="up")', ErrorKind.BAD_ARGUMENT),
    ('place(object="banana", target="nowhere")', ErrorKind.NO_ELEMENT),
    ('lift(cover="cup")', ErrorKind.NO_ELEMENT),
])
def test_bad_actions_are_action_errors_without_world_change(action: str, kind: ErrorKind) -> None:
    env = RobotEnv("pick-place", arm=FAST)
    obs, info = env.reset(seed=0)
    assert env.world is not None
    qpos = env.world.data.qpos.copy()
    obs2, reward, term, _, info2 = env.step(action)
    error = perception_of(info2).action_error
    assert error is not None and error.kind is kind, (action, error)
    assert np.array_equal(qpos, env.world.data.qpos)
    assert np.array_equal(obs["screenshot"], obs2["screenshot"])
    assert not term and reward == 0.0
    env.close()


def test_a_full_gripper_refuses_what_needs_an_empty_one() -> None:
    env = RobotEnv("pick-place", arm=FAST)
    _, info = env.reset(seed=0)
    obj = _goal_object(info)
    _, _, _, _, info = env.step(f'pick(object="{obj}")')
    scene = perception_of(info).scene_graph
    assert scene.node("gripper").get("holding") == obj
    other = next(n.id for n in scene.find(kind="object") if n.id != obj)
    assert env.world is not None
    qpos = env.world.data.qpos.copy()
    for action in (f'pick(object="{other}")', f'push(object="{other}", direction="left")'):
        _, _, _, _, info = env.step(action)
        error = perception_of(info).action_error
        assert error is not None and error.kind is ErrorKind.PRECONDITION, (action, error)
        assert obj in error.message
    assert np.array_equal(qpos, env.world.data.qpos)
    env.close()


def test_pick_of_hidden_object_is_refused_and_recorded_with_its_kind() -> None:
    env = RobotEnv("occluded", arm=FAST)
    _, info = env.reset(seed=1)
    target = _goal_object(info)
    _, _, _, _, info = env.step(f'pick(object="{target}")')
    assert perception_of(info).action_error.kind is ErrorKind.NOT_VISIBLE
    # Through the loop, the kind reaches the step record.
    sink = MemorySink()
    roles = Roles(FunctionPlanner(lambda ctx: f'pick(object="{target}")'))
    rec = run_episode(env, EpisodeSpec("agentloop/robot.occluded", 1), roles, LoopLimits(max_steps=2), sink).record
    assert rec.action_errors == 2
    assert [s.action_error_kind for s in sink.steps] == [ErrorKind.NOT_VISIBLE] * 2
    env.close()


def test_same_seed_same_scene() -> None:
    a, b = RobotEnv("tidy-up", arm=FAST), RobotEnv("tidy-up", arm=FAST)
    oa, ia = a.reset(seed=42)
    ob, ib = b.reset(seed=42)
    pa, pb = perception_of(ia), perception_of(ib)
    assert pa == pb  # everything but the timings
    assert pa.scene_graph.model_dump() == pb.scene_graph.model_dump()
    assert np.array_equal(oa["screenshot"], ob["screenshot"])
    _, ic = a.reset(seed=43)
    assert perception_of(ic).scene_graph.model_dump() != pa.scene_graph.model_dump()
    a.close()
    b.close()


def test_disturbance_caught_by_validator_and_recovered() -> None:
    # disturb=1.0: every pick misses, every place fails, so the validator must fire; then the
    # disturbance is switched off and the replanned episode finishes.
    env = RobotEnv("pick-place", disturb=1.0, arm=FAST)
    env_id = "agentloop/robot.pick-place"
    obs, info = env.reset(seed=4)
    obj = _goal_object(info)
    planner, critic, validator = RobotPlanner(), PreconditionCritic(), EffectValidator()
    ctx = Context.of(env_id, obs, info, env.skillset)
    planner.reset(ctx)
    proposal = planner.propose(ctx)
    assert proposal.plan is not None and str(proposal.action) == f'pick(object="{obj}")'
    bound = env.skillset.bind(proposal.action)
    obs, _, _, _, info2 = env.step(proposal.action)
    after = Context.of(env_id, obs, info2, env.skillset, step=1)
    verdict = validator.check(bound, ctx, after)
    assert not verdict.ok and "holding" in verdict.reason
    assert after.scene.node("gripper").get("holding") is None
    env.disturber.p = 0.0
    # What the loop does after a validator failure: feedback, then a fresh plan.
    planner.feedback(Feedback(source=FeedbackSource.VALIDATOR, message=verdict.reason, step=0), after)
    ctx, info3 = after, info2
    for i in range(4):
        proposal = planner.propose(ctx)
        if i == 0:
            assert proposal.plan is not None and proposal.plan.steps[0] == f'pick(object="{obj}")'
        assert critic.review(env.skillset.bind(proposal.action), ctx).ok
        obs, _, term, _, info3 = env.step(proposal.action)
        ctx = Context.of(env_id, obs, info3, env.skillset, step=ctx.step + 1)
        if term:
            break
    assert perception_of(info3).success
    env.close()


def test_another_draw_at_the_same_step_repeats_the_call() -> None:
    env = RobotEnv("pick-place", arm=FAST)
    obs, info = env.reset(seed=0)
    planner = RobotPlanner()
    ctx = Context.of("agentloop/robot.pick-place", obs, info, env.skillset)
    planner.reset(ctx)
    first = planner.propose(ctx).action
    ctx.candidate = 1
    assert planner.propose(ctx).action == first
    ctx.candidate = 0
    assert planner.propose(ctx).action != first  # the plan moved on
    env.close()


def test_closed_loop_recovers_under_disturbance() -> None:
    env = gym.wrappers.TimeLimit(RobotEnv("occluded", disturb=0.3, arm=FAST), TASK_TABLE["occluded"][0])
    recs = [_closed_loop(env, "occluded", s) for s in range(4)]
    assert sum(r.validator_failures for r in recs) > 0
    assert sum(r.success for r in recs) >= 3
    env.close()
