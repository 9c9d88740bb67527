"""Against the ADB server double: a text field keeps its label apart from its value, typing
adds to what it holds (as `input_text` says), nodes carry their boxes in the pixels `click`
takes, and one device is driven by one env at a time (threads and processes are refused, each
connection dumps the window to a file of its own)."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from agentloop.envs.android import commands as C
from agentloop.envs.android import hierarchy
from agentloop.envs.android.device import AndroidDevice, DeviceBusy
from agentloop.envs.android.double.phone import Screen
from agentloop.envs.android.env import AndroidEnv
from agentloop.perception import perception_of
from agentloop.skills.android import SKILLS


def make(adb_double, task="alarm_create", **kw) -> AndroidEnv:
    return AndroidEnv(task=task, adb_port=adb_double.port, settle_s=0.0, **kw)


def _field(scene, label: str):
    found = [n for n in scene.nodes if n.get("editable") and n.name == label]
    assert len(found) == 1, [(n.name, n.attrs.get("text")) for n in scene.nodes]
    return found[0]


def test_a_typed_field_keeps_its_label_and_typing_adds_to_its_value(adb_double):
    env = make(adb_double)
    env.reset(seed=0)
    adb_double.phone.stack = [Screen.HOME, Screen.CLOCK, Screen.ALARM_EDIT]
    _, _, _, _, info = env.step("wait(seconds=0)")
    hour = _field(perception_of(info).scene_graph, "hour")
    assert hour.get("text") == ""
    _, _, _, _, info = env.step(f'input_text(text="0", element={hour.id})')
    _, _, _, _, info = env.step(f'input_text(text="7", element={hour.id})')
    p = perception_of(info)
    hour = _field(p.scene_graph, "hour")  # still named "hour", not "07"
    assert hour.get("text") == "07"  # appended, as the skill's description says
    assert "added after what the field holds" in SKILLS["input_text"].description()
    assert f"[{hour.id}] edittext 'hour' value='07'" in env._last_obs["text"]
    env.close()


def test_a_field_showing_its_hint_holds_nothing():
    xml = ('<hierarchy><node class="android.widget.EditText" text="Search" hint="Search" '
           'resource-id="app:id/q" bounds="[0,0][100,50]" clickable="true"/>'
           '<node class="android.widget.EditText" text="cats" hint="Search" bounds="[0,60][100,110]"/></hierarchy>')
    empty, typed = hierarchy.parse(xml).nodes
    assert (empty.name, empty.get("text")) == ("Search", "")
    assert (typed.name, typed.get("text")) == ("Search", "cats")


def test_boxes_are_in_the_pixels_click_takes(adb_double):
    env = make(adb_double, task="wifi_on")
    _, info = env.reset(seed=0)
    p = perception_of(info)
    assert p.extra["screen_size"] == [540, 960]
    settings = p.scene_graph.find(name="Settings")[0]
    x, y, w, h = settings.attrs["bbox"]
    assert f"@[{x},{y},{w},{h}]" in env._last_obs["text"]
    _, _, _, _, info = env.step(f"click(x={x + w // 2}, y={y + h // 2})")  # the middle of its box
    assert perception_of(info).extra["package"] == C.APPS["settings"]
    env.close()


def test_a_second_env_on_one_device_is_refused_until_the_first_closes(adb_double):
    first = make(adb_double, task="wifi_on")
    first.reset(seed=0)
    second = make(adb_double, task="wifi_on")
    with pytest.raises(DeviceBusy, match=r"is driven by process .* one env drives a device at a time"):
        second.reset(seed=0)
    # On another thread, as `--concurrency` and served sessions run envs: refused the same.
    refused: list[BaseException] = []

    def other() -> None:
        try:
            make(adb_double, task="wifi_on").reset(seed=0)
        except DeviceBusy as e:
            refused.append(e)

    t = threading.Thread(target=other)
    t.start(), t.join()
    assert len(refused) == 1
    first.close()
    second.reset(seed=0)  # free again
    second.close()


def test_another_process_is_refused_too(adb_double):
    env = make(adb_double, task="wifi_on")
    env.reset(seed=0)
    code = ("import sys\nfrom agentloop.envs.android.device import AndroidDevice, DeviceBusy\n"
            f"try:\n    AndroidDevice(port={adb_double.port})\nexcept DeviceBusy:\n    sys.exit(3)\n")
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 3
    env.close()


def test_each_connection_dumps_to_a_file_of_its_own_and_removes_it(adb_double):
    dev = AndroidDevice(port=adb_double.port)
    assert "<hierarchy" in dev.ui_xml()
    assert dev.dump_path != C.DUMP_PATH and dev.dump_path in adb_double.phone.files
    assert C.dump_ui(dev.dump_path) in adb_double.phone.log
    dev.close()
    assert dev.dump_path not in adb_double.phone.files
    again = AndroidDevice(port=adb_double.port)
    assert again.dump_path != dev.dump_path
    again.close()
