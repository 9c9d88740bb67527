"""The Franka Panda in the tabletop (real MuJoCo, the arm's MJCF and meshes from the installed
gymnasium-robotics package): skills as IK motions tracked by the servos, grasps that hold only
when both fingers touch, reach checked before the arm moves, and the fast mode beside it."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from agentloop import registry
from agentloop.envs.robot import TASK_TABLE, franka
from agentloop.envs.robot.env import RobotEnv
from agentloop.envs.robot.franka import HOME
from agentloop.envs.robot.hand import ArmMode
from agentloop.envs.robot.planner import RobotPlanner
from agentloop.errors import ConfigError, ErrorKind
from agentloop.loop import EpisodeSpec, LoopLimits, run_episode
from agentloop.perception import perception_of
from agentloop.roles import Roles
from agentloop.roles.critic import PreconditionCritic
from agentloop.roles.validator import EffectValidator


def _goal(info: dict) -> tuple[str, str]:
    pred = perception_of(info).extra["goal_spec"]["predicates"][0]
    return pred["object"], pred["target"]


@pytest.fixture
def arm_env():
    env = RobotEnv("pick-place")  # the arm is the default
    yield env
    env.close()


def test_check_env_with_the_arm() -> None:
    registry.load_plugins()
    env = gym.make("agentloop/robot.tidy-up", arm="panda").unwrapped
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            check_env(env)
    finally:
        env.close()


def test_pick_and_place_are_arm_motions(arm_env: RobotEnv) -> None:
    _, info = arm_env.reset(seed=0)
    obj, target = _goal(info)
    w, arm = arm_env.world, arm_env.hand.arm
    start = w.pos(obj)
    _, _, _, _, info = arm_env.step(f'pick(object="{obj}")')
    p = perception_of(info)
    gripper = p.scene_graph.node("gripper")
    assert gripper.get("holding") == obj and gripper.get("open") is False
    # Lifted for real: welded in the closed fingers, back up at the home pose.
    assert arm.attached == obj and w.pos(obj)[2] > start[2] + 0.2
    assert np.linalg.norm(w.pos(obj) - arm.grip_point()) < 0.03
    assert np.allclose(arm.q(), HOME, atol=0.02)
    assert p.extra["sim_seconds"] > 0.5 and p.timings["physics"] > 0.0
    _, _, term, _, info = arm_env.step(f'place(object="{obj}", target="{target}")')
    p = perception_of(info)
    assert p.scene_graph.has(obj, "in", target) and p.success and term
    assert arm.attached is None and p.scene_graph.node("gripper").get("open") is True


def test_drawer_is_pulled_open_by_its_handle_and_pushed_shut() -> None:
    env = RobotEnv("find-in-drawer")
    _, info = env.reset(seed=5)
    target, _ = _goal(info)
    w = env.world
    where = w.location_of(target)
    _, _, _, _, info = env.step(f'open(container="{where}")')
    assert float(w.data.joint(where).qpos[0]) < -0.12  # pulled most of its travel
    assert env.hand.arm.attached is None  # let go of the handle afterwards
    assert perception_of(info).scene_graph.has(target, "in", where)
    _, _, _, _, info = env.step(f'close(container="{where}")')
    assert float(w.data.joint(where).qpos[0]) > -0.03
    assert target not in perception_of(info).scene_graph
    env.close()


def test_cup_lifted_by_its_knob_reveals_what_it_hid() -> None:
    env = RobotEnv("occluded")
    _, info = env.reset(seed=2)
    hidden, _ = _goal(info)
    cup_before = env.world.pos("cup")
    _, _, _, _, info = env.step('lift(cover="cup")')
    scene = perception_of(info).scene_graph
    assert hidden in scene and scene.node("cup").get("lifted") is True
    assert np.linalg.norm(env.world.pos("cup")[:2] - cup_before[:2]) > 0.05  # set down aside
    env.close()


def test_unreachable_target_is_refused_before_the_arm_moves(arm_env: RobotEnv) -> None:
    _, info = arm_env.reset(seed=0)
    obj, _ = _goal(info)
    w = arm_env.world
    w.set_pos(obj, (0.44, -0.35, 0.02))  # the table's front corner, beyond the arm's reach
    arm_env.step('look(at="table")')  # perceive it there
    qpos, t = w.data.qpos.copy(), w.data.time
    _, _, _, _, info = arm_env.step(f'pick(object="{obj}")')
    error = perception_of(info).action_error
    assert error is not None and error.kind is ErrorKind.NOT_VISIBLE and "reach" in error.message
    assert np.array_equal(qpos, w.data.qpos) and w.data.time == t


def test_a_grasp_that_closes_on_nothing_holds_nothing(arm_env: RobotEnv) -> None:
    _, info = arm_env.reset(seed=1)
    obj, _ = _goal(info)
    arm_env.disturber.p = 1.0  # the fingers come down beside the object
    start = arm_env.world.pos(obj)
    _, _, _, _, info = arm_env.step(f'pick(object="{obj}")')
    p = perception_of(info)
    assert p.scene_graph.node("gripper").get("holding") is None
    assert arm_env.hand.arm.attached is None and p.extra["sim_seconds"] > 0.5  # the motion ran
    assert arm_env.world.pos(obj)[2] < start[2] + 0.02  # still on the table


def test_push_slides_the_object_with_closed_fingers(arm_env: RobotEnv) -> None:
    arm_env.reset(seed=0)
    w = arm_env.world
    obj = min(w.objects, key=lambda o: w.pos(o)[0])  # the leftmost: room on its right
    start = w.pos(obj)
    _, _, _, _, info = arm_env.step(f'push(object="{obj}", direction="right")')
    moved = w.pos(obj) - start
    assert perception_of(info).action_error is None
    assert 0.04 < moved[0] < 0.12 and abs(moved[1]) < 0.03


@pytest.mark.parametrize(("task", "seeds"), [("pick-place", (0, 1)), ("find-in-drawer", (2,)), ("occluded", (3,))])
def test_closed_loop_solves_tasks_with_the_arm(task: str, seeds: tuple[int, ...]) -> None:
    env = gym.wrappers.TimeLimit(RobotEnv(task), TASK_TABLE[task][0])
    for seed in seeds:
        roles = Roles(RobotPlanner(), PreconditionCritic(), EffectValidator())
        rec = run_episode(env, EpisodeSpec(f"agentloop/robot.{task}", seed), roles, LoopLimits(max_steps=20)).record
        assert rec.success, (task, seed, rec.outcome)
    env.close()


def test_same_seed_same_arm_motion() -> None:
    a, b = RobotEnv("stack"), RobotEnv("stack")
    _, ia = a.reset(seed=7)
    b.reset(seed=7)
    obj, _ = _goal(ia)
    a.step(f'pick(object="{obj}")')
    b.step(f'pick(object="{obj}")')
    assert np.array_equal(a.world.data.qpos, b.world.data.qpos)
    a.close()
    b.close()


@pytest.mark.parametrize("arm", ["panda", "none"])
def test_reset_to_the_same_seed_restores_the_settled_start(arm: str) -> None:
    env = RobotEnv("tidy-up", arm=arm)
    obs0, info0 = env.reset(seed=3)
    model, qpos0 = env.world.model, env.world.data.qpos.copy()
    obj, _ = _goal(info0)
    env.step(f'pick(object="{obj}")')
    obs, info = env.reset(seed=3)
    assert env.world.model is model  # not compiled again
    assert np.array_equal(env.world.data.qpos, qpos0) and np.array_equal(obs["screenshot"], obs0["screenshot"])
    assert perception_of(info).scene_graph == perception_of(info0).scene_graph
    fresh = RobotEnv("tidy-up", arm=arm)
    obs_fresh, _ = fresh.reset(seed=3)
    assert np.array_equal(obs_fresh["screenshot"], obs0["screenshot"])
    env.reset(seed=4)
    assert env.world.model is not model
    env.close()
    fresh.close()


def test_fast_mode_has_no_arm() -> None:
    env = registry.make("agentloop/robot.pick-place", arm="none")
    robot = env.unwrapped
    assert robot.arm is ArmMode.NONE
    _, info = env.reset(seed=0)
    names = {robot.world.model.body(b).name for b in range(robot.world.model.nbody)}
    assert "gripper" in names and not any(n.startswith("panda") for n in names)
    obj, _ = _goal(info)
    _, _, _, _, info = env.step(f'pick(object="{obj}")')
    assert perception_of(info).scene_graph.node("gripper").get("holding") == obj
    env.close()
    with pytest.raises(ValueError, match="arm"):
        RobotEnv("pick-place", arm="ur5")


@pytest.mark.parametrize("name", ["PACKAGE", "IK_PACKAGE"])
def test_missing_arm_model_or_solver_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setattr(franka, name, "no_such_package_here")
    with pytest.raises(ConfigError, match="arm=none"):
        RobotEnv("pick-place")
    RobotEnv("pick-place", arm="none").close()  # the fast mode needs neither
