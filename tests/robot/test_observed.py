"""A failed robot grasp or place says what the simulator observed (what the fingers felt, how
far the object moved, where it came to rest, what else moved), in the step's `env_info`, and
the rule validator's reason carries it. Objects no skill touched stay where they were. Real
MuJoCo, with the fast gripper and with the Franka arm."""

from __future__ import annotations

import numpy as np
import pytest

from agentloop.context import Context
from agentloop.envs.robot.env import RobotEnv
from agentloop.envs.robot.observed import OBSERVED_FACTS
from agentloop.envs.robot.panda import MISS_OFFSET
from agentloop.perception import OBSERVED, perception_of
from agentloop.roles.validator import EffectValidator
from agentloop.skills.robot import SKILLS, NodeKind

ENV = "agentloop/robot.pick-place"


def _goal_object(env: RobotEnv) -> tuple[str, str]:
    assert env.instance is not None
    p = env.instance.spec.predicates[0]
    return p.object, p.target


@pytest.mark.parametrize("arm", ["none", "panda"])
def test_a_missed_grasp_says_what_the_fingers_felt_and_how_far_the_object_moved(arm: str) -> None:
    env = RobotEnv(task="pick-place", arm=arm, disturb=1.0)  # every pick misses
    env.reset(seed=0)
    obj, _ = _goal_object(env)
    _, _, _, _, info = env.step(f'pick(object="{obj}")')
    p = perception_of(info)
    facts = p.extra[OBSERVED_FACTS]
    assert facts["felt"]["fingers_on"] == 0 and facts["held"] is False
    # The fingers closed on nothing, or on what they met beside it (a bowl's rim).
    assert facts["felt"]["gap_mm"] < 5 or facts["felt"]["touched"]
    if arm == "panda":  # the fingers came down beside it, about as far off as the miss put them
        assert facts["felt"]["offset_mm"] == pytest.approx(MISS_OFFSET * 1000, abs=20)
    said = p.extra[OBSERVED]
    assert f"no finger touched {obj}" in said and f"{obj} moved" in said and "not held" in said
    env.close()


def test_a_grasp_that_holds_says_so() -> None:
    env = RobotEnv(task="pick-place", arm="panda")
    env.reset(seed=0)
    obj, _ = _goal_object(env)
    _, _, _, _, info = env.step(f'pick(object="{obj}")')
    facts = perception_of(info).extra[OBSERVED_FACTS]
    assert facts["felt"]["fingers_on"] == 2 and facts["held"] is True and facts["rest"] == "in the gripper"
    assert 30 < facts["felt"]["gap_mm"] < 45  # closed on a 4 cm object
    env.close()


def _rng_for(drop: bool) -> np.random.Generator:
    """A generator whose next place draw is a drop on the way (`drop`) or a knock after."""
    for seed in range(100):
        probe = np.random.default_rng(seed)
        probe.random()  # whether it fails at all (it does: p = 1)
        if (probe.random() < 0.5) == drop:
            return np.random.default_rng(seed)
    raise AssertionError("no seed draws it")


@pytest.mark.parametrize(("drop", "said_how"), [(True, "left the fingers on the way"),
                                                 (False, "once set down, {obj} was knocked")])
def test_a_place_that_lost_its_object_says_where_and_how(drop: bool, said_how: str) -> None:
    env = RobotEnv(task="pick-place", arm="none")
    env.reset(seed=0)
    obj, target = _goal_object(env)
    env.step(f'pick(object="{obj}")')
    env.disturber.p, env.disturber.rng = 1.0, _rng_for(drop)
    _, _, _, _, info = env.step(f'place(object="{obj}", target="{target}")')
    said = perception_of(info).extra[OBSERVED]
    assert said_how.format(obj=obj) in said and "on the table, not held" in said, said
    assert f"in {target}" not in said
    env.close()


def _context(obs: dict, info: dict) -> Context:
    return Context.of(ENV, obs, info, skillset=SKILLS)


def test_the_validators_reason_names_what_was_observed() -> None:
    env = RobotEnv(task="pick-place", arm="none", disturb=1.0)
    obs, info = env.reset(seed=0)
    obj, _ = _goal_object(env)
    before = _context(obs, info)
    call = SKILLS.bind(f'pick(object="{obj}")')
    obs, _, _, _, info = env.step(call.call)
    verdict = EffectValidator().check(call, before, _context(obs, info))
    assert not verdict.ok
    assert f"no finger touched {obj}" in (verdict.reason or "")
    env.close()


@pytest.mark.parametrize("arm", ["none", "panda"])
def test_objects_no_skill_touches_stay_put_over_several_steps(arm: str) -> None:
    """A fruit lying on its side used to roll on for good once nudged (no rolling friction),
    creeping millimetres a step while nothing touched it."""
    env = RobotEnv(task="tidy-up", arm=arm)
    _, info = env.reset(seed=1)
    w = env.world
    assert w is not None
    scene = perception_of(info).scene_graph
    assert scene is not None and scene.find(kind=NodeKind.OBJECT.value)
    # Nudge every object at 3 cm/s, as an arm brushing past would; let it come to rest.
    for o in w.objects:
        v = w._vadr[o]
        w.data.qvel[v:v + 2] = (0.02, 0.02)
    env.step('look(at="table")')
    w.settle(250)
    settled = {o: w.pos(o) for o in w.objects}
    for _ in range(3):  # steps that touch nothing, the world running a second after each
        env.step('look(at="table")')
        w.settle(250)
    for o in w.objects:
        assert np.linalg.norm(w.pos(o) - settled[o]) < 0.0005, (o, w.pos(o), settled[o])
    env.close()


def test_a_drawer_that_slid_shut_again_says_how_far_out_it_is() -> None:
    env = RobotEnv(task="find-in-drawer", arm="none", disturb=1.0)  # every open slides shut again
    env.reset(seed=0)
    _, _, _, _, info = env.step('open(container="drawer_1")')
    said = perception_of(info).extra[OBSERVED]
    assert said.startswith("drawer_1 is 0.0 cm out (was 0.0 cm)") and "drawer_1 slid shut again" in said, said
    env.close()
