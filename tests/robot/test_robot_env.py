"""The MuJoCo tabletop: env contract, perception of hidden objects, disturbances and the
scripted planner driving the closed loop (real MuJoCo, real EGL rendering)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from agentloop import registry
from agentloop.envs.robot import TASK_TABLE
from agentloop.envs.robot.env import RobotEnv
from agentloop.envs.robot.planner import RobotPlanner
from agentloop.loop import EpisodeSpec, LoopLimits, Roles, run_episode
from agentloop.roles.critic import PreconditionCritic
from agentloop.roles.validator import EffectValidator

TASKS = list(TASK_TABLE)


def _closed_loop(env: gym.Env, task: str, seed: int):
    roles = Roles(RobotPlanner(), PreconditionCritic(), EffectValidator())
    return run_episode(env, EpisodeSpec(f"agentloop/robot.{task}", seed), roles, LoopLimits(max_steps=30)).record


@pytest.mark.parametrize("task", TASKS)
def test_check_env(task: str) -> None:
    env = RobotEnv(task)
    try:
        check_env(env, skip_render_check=True)
    finally:
        env.close()


@pytest.mark.parametrize("task", TASKS)
def test_scripted_planner_solves_task(task: str) -> None:
    env = gym.wrappers.TimeLimit(RobotEnv(task), TASK_TABLE[task][0])
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


def test_hidden_object_absent_until_drawer_opened() -> None:
    env = RobotEnv("find-in-drawer")
    _, info = env.reset(seed=5)
    target = info["goal_spec"]["predicates"][0]["object"]
    assert target not in info["scene_graph"]
    where = env.world.location_of(target)
    assert where is not None and where.startswith("drawer_")
    _, _, _, _, info = env.step(f'open(container="{where}")')
    assert info["action_error"] is None
    scene = info["scene_graph"]
    assert target in scene and scene.has(target, "in", where)
    # Shut again, it is out of sight again.
    _, _, _, _, info = env.step(f'close(container="{where}")')
    assert target not in info["scene_graph"]
    env.close()


def test_object_under_cup_appears_when_lifted() -> None:
    env = RobotEnv("occluded")
    _, info = env.reset(seed=2)
    target = info["goal_spec"]["predicates"][0]["object"]
    assert target not in info["scene_graph"] and "cup" in info["scene_graph"]
    _, _, _, _, info = env.step('lift(cover="cup")')
    assert target in info["scene_graph"] and info["scene_graph"].node("cup").get("lifted") is True
    env.close()


@pytest.mark.parametrize("action", [
    'pick(object="unicorn")', "pick(object=3)", "fly(to='moon')", "%%% gibberish", "",
    'place(object="red_cube")', 'open(container="blue_bowl")', 'push(object="x", direction="up")',
])
def test_bad_actions_are_action_errors_without_world_change(action: str) -> None:
    env = RobotEnv("pick-place")
    obs, info = env.reset(seed=0)
    qpos = env.world.data.qpos.copy()
    obs2, reward, term, trunc, info2 = env.step(action)
    assert info2["action_error"], action
    assert np.array_equal(qpos, env.world.data.qpos)
    assert np.array_equal(obs["screenshot"], obs2["screenshot"])
    assert not term and reward == 0.0
    env.close()


def test_pick_of_hidden_object_is_refused() -> None:
    env = RobotEnv("occluded")
    _, info = env.reset(seed=1)
    target = info["goal_spec"]["predicates"][0]["object"]
    _, _, _, _, info = env.step(f'pick(object="{target}")')
    assert info["action_error_kind"] == "not_visible"
    env.close()


def test_same_seed_same_scene() -> None:
    a, b = RobotEnv("tidy-up"), RobotEnv("tidy-up")
    oa, ia = a.reset(seed=42)
    ob, ib = b.reset(seed=42)
    assert ia["goal"] == ib["goal"]
    assert ia["scene_graph"].model_dump() == ib["scene_graph"].model_dump()
    assert np.array_equal(oa["screenshot"], ob["screenshot"])
    _, ic = a.reset(seed=43)
    assert ic["scene_graph"].model_dump() != ia["scene_graph"].model_dump()
    a.close()
    b.close()


def test_disturbance_caught_by_validator_and_recovered() -> None:
    # disturb=1.0: every pick misses, every place fails, so the validator must fire; then the
    # disturbance is switched off and the replanned episode finishes.
    env = RobotEnv("pick-place", disturb=1.0)
    _, info = env.reset(seed=4)
    obj = info["goal_spec"]["predicates"][0]["object"]
    planner, critic, validator = RobotPlanner(), PreconditionCritic(), EffectValidator()
    from agentloop.roles.context import Context

    ctx = Context("agentloop/robot.pick-place", info["goal"], info["skills"], env.skillset,
                  info["scene_graph"], None, info)
    planner.reset(ctx)
    planner.plan(ctx)
    call = planner.next_action(ctx)
    assert str(call) == f'pick(object="{obj}")'
    bound = env.skillset.bind(call)
    obs, _, _, _, info2 = env.step(call)
    after = Context(ctx.env_id, ctx.goal, ctx.skills, env.skillset, info2["scene_graph"], obs, info2)
    verdict = validator.check(bound, ctx, after)
    assert not verdict.ok and "holding" in verdict.reason
    assert info2["scene_graph"].node("gripper").get("holding") is None
    env.disturber.p = 0.0
    plan = planner.plan(after)  # what the loop does after a validator failure
    assert plan.steps[0] == f'pick(object="{obj}")'
    ctx = after
    for _ in range(4):
        call = planner.next_action(ctx)
        assert critic.review(env.skillset.bind(call), ctx).ok
        obs, _, term, _, info3 = env.step(call)
        ctx = Context(ctx.env_id, ctx.goal, ctx.skills, env.skillset, info3["scene_graph"], obs, info3)
        if term:
            break
    assert info3["success"]
    env.close()


def test_closed_loop_recovers_under_disturbance() -> None:
    env = gym.wrappers.TimeLimit(RobotEnv("occluded", disturb=0.3), TASK_TABLE["occluded"][0])
    recs = [_closed_loop(env, "occluded", s) for s in range(4)]
    assert sum(r.validator_failures for r in recs) > 0
    assert sum(r.success for r in recs) >= 3
    env.close()
