"""`environment_factory`'s classes as TRL drives them, without a trainer: tools shaped like
the skills, answers with the frame, rewards by mode, seeds from rows, tasks from a column,
rollouts recorded, and bad calls answered rather than raised."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from PIL import Image
from pydantic import ValidationError

from agentloop.errors import ConfigError
from agentloop.integrations.trl import environment_factory
from agentloop.recording import RunDir, read_steps

TOY = "agentloop/toy.switches"


def _goal_lamps(text: str) -> list[str]:
    return [w for w in text.split("\n")[0].replace(" and ", " ").split() if w.startswith("lamp_")]


def test_tools_are_the_skills_with_their_arguments():
    env = environment_factory(TOY, frames=False)()
    tools = {n: m for n, m in inspect.getmembers(env, predicate=inspect.ismethod)
             if not n.startswith("_") and n not in ("reset", "get_reward")}
    assert set(tools) == {"switch_on", "switch_off", "wait", "break_all", "finish"}
    params = inspect.signature(tools["switch_on"]).parameters
    assert list(params) == ["lamp"] and params["lamp"].annotation is str
    assert params["lamp"].default is inspect.Parameter.empty
    assert tools["switch_on"].__doc__.splitlines()[0] == "Switch a lamp on."
    assert "lamp: lamp id, e.g. lamp_2" in tools["switch_on"].__doc__
    assert not inspect.signature(tools["wait"]).parameters


def test_answers_carry_the_frame_and_what_happened():
    env = environment_factory(TOY)()
    image, text = env.reset(seed=4, prompt="ignored")
    assert image["type"] == "image" and isinstance(image["image"], Image.Image)
    assert image["image"].size == (32, 32) and text["type"] == "text" and "switch on" in text["text"]
    lamp = _goal_lamps(text["text"])[0]
    frame, answer = env.switch_off(lamp=lamp)
    assert "critic rejected" in answer["text"] and "already off" in answer["text"]
    assert not np.asarray(frame["image"]).any()  # all lamps still off
    frame, answer = env.switch_on(lamp=lamp)
    assert answer["text"].startswith(f'ran switch_on(lamp="{lamp}")') and "validator: passed" in answer["text"]
    assert np.asarray(frame["image"]).any()  # the new frame shows the lamp lit
    frame, answer = env.switch_on(lamp=lamp, colour="red")  # a bad argument is an answer, not an exception
    assert "bad_argument" in answer["text"] and "nothing ran" in answer["text"]
    assert [s.action is not None for s in env.steps] == [False, True, False]


@pytest.mark.parametrize(("mode", "expected"), [("success", 0.0), ("progress", 0.5), ("gated", 0.0)])
def test_reward_of_a_half_done_rollout(mode, expected):
    env = environment_factory(TOY, frames=False, reward=mode)()
    lamps = _goal_lamps(env.reset(seed=2))
    env.switch_on(lamp=lamps[0])
    assert env.get_reward() == pytest.approx(expected)
    assert env.episode is not None and env.episode.outcome.value == "truncated"


def test_gated_reward_adds_the_step_signals_only_on_success():
    env = environment_factory(TOY, frames=False, reward="gated", step_weight=0.5)()
    lamps = _goal_lamps(env.reset(seed=2))
    env.switch_off(lamp=lamps[0])  # rejected by the critic: a step that did not pass
    for lamp in lamps:
        env.switch_on(lamp=lamp)
    assert env.episode is not None and env.episode.success
    assert env.get_reward() == pytest.approx(1.0 + 0.5 * 2 / 3)
    assert "episode is over" in env.wait()  # a call after the end makes no step


def test_rows_without_a_seed_still_give_a_group_one_start():
    cls = environment_factory(TOY, frames=False)
    row = {"prompt": [{"role": "user", "content": "go"}], "image": object()}
    a, b = cls(), cls()
    assert a.reset(**row) == b.reset(**row) and a.spec == b.spec
    a.reset(prompt=[{"role": "user", "content": "another task instance"}])
    assert a.spec is not None and b.spec is not None and a.spec.seed != b.spec.seed
    assert cls().reset(seed=1, prompt="x") == cls().reset(seed=1, prompt="y")  # a seed column wins


def test_a_task_column_picks_the_task_within_the_vocabulary():
    env = environment_factory("agentloop/robot.pick-place", frames=False)()
    text = env.reset(seed=0, task="robot.occluded")
    assert "cup" in text and env.spec is not None and env.spec.env_id == "agentloop/robot.occluded"
    assert env.get_reward() == 0.0
    with pytest.raises(ConfigError, match="other skills"):
        env.reset(seed=0, task="toy.switches")


def test_rollouts_are_recorded_as_a_run(tmp_path):
    cls = environment_factory(TOY, frames=False, record=tmp_path / "run")
    a, b = cls(), cls()
    for env in (a, b):
        lamps = _goal_lamps(env.reset(seed=9))
        for lamp in lamps:
            env.switch_on(lamp=lamp)
        assert env.get_reward() == 1.0
    assert cls.recorder is not None
    cls.recorder.close()
    run = RunDir(tmp_path / "run")
    episodes = list(run.episodes())
    assert [rec.episode_id for _, rec in episodes] == ["toy.switches__s00009__r00", "toy.switches__s00009__r01"]
    steps = read_steps(episodes[0][0])
    assert [s.validator.ok for s in steps] == [True, True] and steps[0].frame == "frames/0000.png"
    assert run.manifest().config.planner == "trl" and run.manifest().config.max_critic_rejections == 0


def test_options_are_checked():
    with pytest.raises(ValidationError):
        environment_factory(TOY, rewards="success")
    with pytest.raises(ValidationError):
        environment_factory(TOY, reward="money")
    with pytest.raises(ConfigError):
        environment_factory("agentloop/toy.switchez")
