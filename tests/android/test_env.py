"""AndroidEnv over the ADB server double: check_env, the scripted planner through the loop,
every skill's executor, bad actions, and the CLI."""

import json
import os
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from agentloop import registry
from agentloop.context import Context
from agentloop.envs.android import hierarchy
from agentloop.envs.android.double.phone import Screen
from agentloop.envs.android.env import AndroidEnv
from agentloop.envs.android.planner import AndroidPlanner
from agentloop.envs.android.tasks import TASKS
from agentloop.errors import ErrorKind
from agentloop.loop import EpisodeSpec, LoopLimits, run_episode
from agentloop.perception import perception_of
from agentloop.roles import EffectValidator, PreconditionCritic, Roles
from agentloop.testing import MemorySink

HOSTABLE = [name for name, t in TASKS.items() if t.on_double]


def make(adb_double, task="wifi_on", **kw):
    return AndroidEnv(task=task, adb_port=adb_double.port, settle_s=0.0, **kw)


def test_check_env_passes(adb_double):
    env = make(adb_double)
    check_env(env)
    env.close()


def test_registered_env_runs_with_gymnasiums_checker_on(adb_double):
    env = registry.make("agentloop/android.wifi_off", adb_port=adb_double.port, settle_s=0.0)
    assert any(isinstance(w, gym.wrappers.PassiveEnvChecker) for w in _wrappers(env))
    obs, info = env.reset(seed=0)
    assert obs in env.observation_space and perception_of(info).task == "wifi_off"
    _, _, _, _, info = env.step("open_app(app_name='Settings')")
    assert perception_of(info).action_error is None
    env.close()


def _wrappers(env):
    while isinstance(env, gym.Wrapper):
        yield env
        env = env.env


@pytest.mark.parametrize("task", HOSTABLE)
def test_scripted_planner_solves_task_through_the_loop(adb_double, task):
    assert len(HOSTABLE) >= 3
    env = make(adb_double, task)
    sink = MemorySink()
    roles = Roles(planner=AndroidPlanner(), critic=PreconditionCritic(), validator=EffectValidator())
    result = run_episode(env, EpisodeSpec(f"agentloop/android.{task}", 0), roles,
                         LoopLimits(max_steps=TASKS[task].max_steps), sink)
    env.close()
    assert result.record.success, [(s.action, s.action_error) for s in sink.steps]
    assert all(s.action_error is None for s in sink.steps)
    assert all(s.validator is None or s.validator.ok for s in sink.steps)


def test_planner_reads_the_task_from_the_perception(adb_double):
    env = make(adb_double, "bluetooth_on")
    obs, info = env.reset(seed=0)
    planner = AndroidPlanner()
    ctx = Context.of("agentloop/android.bluetooth_on", obs, info, env.skillset)
    planner.reset(ctx)
    assert planner.task is TASKS["bluetooth_on"]
    assert str(planner.propose(ctx).action) == 'open_app(app_name="settings")'
    env.close()


def test_bad_actions_become_action_errors(adb_double):
    env = make(adb_double)
    obs, info = env.reset(seed=0)
    for action, kind in [("click(element=999)", ErrorKind.NO_ELEMENT), ("fly()", ErrorKind.UNKNOWN_SKILL),
                         ("click()", ErrorKind.BAD_ARGUMENT), ("open_app(app_name='Nope')", ErrorKind.NO_APP),
                         ("open_app(app_name='com.example.absent')", ErrorKind.NO_APP),
                         ("scroll(direction='down', element=999)", ErrorKind.NO_ELEMENT),
                         ("click(element=", ErrorKind.PARSE)]:
        obs2, _, term, trunc, info2 = env.step(action)
        failure = perception_of(info2).action_error
        assert failure is not None and failure.kind is kind and failure.message, action
        assert np.array_equal(obs2["screenshot"], obs["screenshot"])
    env.close()


def _run(env, action):
    _, _, _, _, info = env.step(action)
    p = perception_of(info)
    assert p.action_error is None, (action, p.action_error)
    return p


def _last_input(phone):
    """The last `input` command the phone received (observing sends dumps and screencaps)."""
    return next(c for c in reversed(phone.log) if c.startswith("input "))


def test_every_skill_reaches_the_phone(adb_double):
    phone = adb_double.phone
    env = make(adb_double, "contact_add")
    env.reset(seed=0)
    p = _run(env, "open_app(app_name='Contacts')")
    assert phone.stack[-1] is Screen.CONTACTS and p.extra["package"] == "com.google.android.contacts"
    scroller = next(n for n in p.scene_graph.nodes if n.get("scrollable"))
    x, y, w, h = scroller.attrs["bbox"]
    _run(env, f"scroll(direction='down', element={scroller.id})")
    # Content moves down-to-up: the finger starts below the box's centre and moves up by a third.
    assert _last_input(phone) == f"input swipe {x + w // 2} {y + h // 2 + h // 3} {x + w // 2} {y + h // 2 - h // 3} 300"
    button = p.scene_graph.find(name="Create contact")[0]
    _run(env, f"long_press(element={button.id})")
    assert phone.stack[-1] is Screen.CONTACT_EDIT
    p = _run(env, "navigate_back()")
    assert phone.stack[-1] is Screen.CONTACTS
    cx, cy = hierarchy.center(p.scene_graph.find(name="Create contact")[0])
    p = _run(env, f"click(x={cx}, y={cy})")
    field = p.scene_graph.find(kind="edittext")[0]
    p = _run(env, f"input_text(text='Ada Lovelace', element={field.id})")
    assert p.scene_graph.node(field.id).get("text") == "Ada Lovelace" and phone.focus == "name"
    _run(env, "keyboard_enter()")
    assert phone.focus is None
    _run(env, "swipe(x1=10, y1=500, x2=10, y2=100, duration_ms=50)")
    assert _last_input(phone) == "input swipe 10 500 10 100 50"
    _run(env, "wait(seconds=0)")
    _run(env, "navigate_home()")
    assert phone.stack == [Screen.HOME]
    env.close()


def test_settle_pause_is_timed_for_screen_actions_only(adb_double):
    env = AndroidEnv(task="wifi_on", adb_port=adb_double.port, settle_s=0.01)
    env.reset(seed=0)
    assert _run(env, "navigate_home()").timings["settle"] >= 0.01
    assert "settle" not in _run(env, "wait(seconds=0)").timings
    env.close()


def test_observation_text_and_set_of_marks(adb_double):
    plain = make(adb_double, obs_height=480, obs_width=270)
    o1, info = plain.reset(seed=0)
    plain.close()  # one env drives a device at a time
    marked = make(adb_double, set_of_marks=True, obs_height=480, obs_width=270)
    o2, _ = marked.reset(seed=0)
    assert o1["screenshot"].shape == (480, 270, 3) and o1["text"].startswith("Goal: Turn Wi-Fi on")
    assert "'Settings'" in o1["text"]
    assert not np.array_equal(o1["screenshot"], o2["screenshot"])
    p = perception_of(info)
    assert p.task == "wifi_on" and p.goal == "Turn Wi-Fi on in Settings."
    settings = p.scene_graph.find(name="Settings")[0]
    assert settings.attrs["bbox"] == [30, 700, 140, 140]  # the double's launcher icon, [x, y, w, h]
    marked.close()


def test_no_device_is_a_one_line_error(adb_double):
    from agentloop.envs.android.device import DeviceError

    adb_double.phone.connected = False
    with pytest.raises(DeviceError) as e:
        make(adb_double).reset(seed=0)
    assert "no Android device connected" in str(e.value) and "\n" not in str(e.value)


def test_cli_runs_the_full_loop_against_the_double_from_the_command_line(tmp_path):
    env = {**os.environ, "ANDROID_ADB_SERVER_PORT": "0"}
    srv = subprocess.Popen([sys.executable, "-m", "agentloop.envs.android.double", "--port", "0"],
                           stdout=subprocess.PIPE, text=True, env=env)
    try:
        line = srv.stdout.readline()
        port = line.split("ANDROID_ADB_SERVER_PORT=")[1].split()[0]
        out = tmp_path / "run"
        r = subprocess.run(["agentloop", "run", "agentloop/android.bluetooth_on", "-n", "1", "--out", str(out)],
                           env={**os.environ, "ANDROID_ADB_SERVER_PORT": port}, capture_output=True,
                           text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        episodes = [json.loads(p.read_text()) for p in out.rglob("episode.json")]
        assert len(episodes) == 1 and episodes[0]["success"] is True
        assert list(out.rglob("steps.jsonl")) and list(out.rglob("*.png"))
    finally:
        srv.terminate()
        srv.wait(timeout=10)


def test_a_user_task_added_as_the_readme_shows(adb_double):
    from agentloop.envs.android import commands as C
    from agentloop.envs.android.tasks import AndroidTask, add_task

    class BrightnessTask(AndroidTask):
        name, goal, apps = "test_brightness", "Set brightness to the maximum.", ("settings",)

        def initialise(self, device):
            device.shell(C.settings_put("system", "screen_brightness", "10"))

        def is_successful(self, device):
            return float(device.setting("system", "screen_brightness") == "255")

    add_task(BrightnessTask())
    env = make(adb_double, "test_brightness")
    _, info = env.reset(seed=0)
    assert perception_of(info).success is False and perception_of(info).progress == 0.0
    env.device.shell(C.settings_put("system", "screen_brightness", "255"))
    _, reward, terminated, _, info = env.step("wait(seconds=0)")
    assert perception_of(info).success and terminated and reward == 1.0
    env.close()
