"""AndroidEnv over the ADB server double: check_env, the scripted planner through the loop,
bad actions, and the CLI."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from agentloop.envs.android.env import AndroidEnv
from agentloop.envs.android.planner import AndroidPlanner
from agentloop.envs.android.tasks import TASKS
from agentloop.loop import EpisodeSink, EpisodeSpec, LoopLimits, Roles, run_episode
from agentloop.roles import EffectValidator, PreconditionCritic

HOSTABLE = [name for name, t in TASKS.items() if t.on_double]


class ListSink(EpisodeSink):
    def __init__(self):
        self.steps = []

    def step(self, record):
        self.steps.append(record)


def make(adb_double, task="wifi_on", **kw):
    return AndroidEnv(task=task, adb_port=adb_double.port, settle_s=0.0, **kw)


def test_check_env_passes(adb_double):
    env = make(adb_double)
    check_env(env, skip_render_check=True)
    env.close()


@pytest.mark.parametrize("task", HOSTABLE)
def test_scripted_planner_solves_task_through_the_loop(adb_double, task):
    assert len(HOSTABLE) >= 3
    env = make(adb_double, task)
    sink = ListSink()
    roles = Roles(planner=AndroidPlanner(), critic=PreconditionCritic(), validator=EffectValidator())
    result = run_episode(env, EpisodeSpec(f"agentloop/android.{task}", 0), roles,
                         LoopLimits(max_steps=TASKS[task].max_steps), sink)
    env.close()
    assert result.record.success, [(s.action, s.action_error) for s in sink.steps]
    assert all(s.action_error is None for s in sink.steps)
    assert all(s.validator is None or s.validator.ok for s in sink.steps)


def test_bad_actions_become_action_errors(adb_double):
    env = make(adb_double)
    obs, info = env.reset(seed=0)
    for action, kind in [("click(element=999)", "no_element"), ("fly()", "unknown_skill"),
                         ("click()", "bad_argument"), ("open_app(app_name='Nope')", "no_app"),
                         ("click(element=", "parse")]:
        obs2, _, term, trunc, info2 = env.step(action)
        assert info2["action_error_kind"] == kind and info2["action_error"], action
        assert np.array_equal(obs2["screenshot"], obs["screenshot"])
    env.close()


def test_observation_text_and_set_of_marks(adb_double):
    plain = make(adb_double, obs_height=480, obs_width=270)
    marked = make(adb_double, set_of_marks=True, obs_height=480, obs_width=270)
    o1, info = plain.reset(seed=0)
    o2, _ = marked.reset(seed=0)
    assert o1["screenshot"].shape == (480, 270, 3) and o1["text"].startswith("Goal: Turn Wi-Fi on")
    assert "'Settings'" in o1["text"]
    assert not np.array_equal(o1["screenshot"], o2["screenshot"])
    assert info["scene_graph"].find(text="Settings")
    plain.close(), marked.close()


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
    assert info["success"] is False and info["progress"] == 0.0
    env.device.shell(C.settings_put("system", "screen_brightness", "255"))
    _, reward, terminated, _, info = env.step("wait(seconds=0)")
    assert info["success"] and terminated and reward == 1.0
    env.close()
