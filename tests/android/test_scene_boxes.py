"""The Android scene text gives each element's box in the screen's pixels, the space `click` and
`swipe` take, and says so once; against the ADB server double, a tap at the printed centre of
the Wi-Fi switch turns Wi-Fi on, and a frame scaled from the screen is said to be."""

from __future__ import annotations

import re

from agentloop.context import Context
from agentloop.envs.android.env import AndroidEnv
from agentloop.perception import perception_of
from agentloop.prompts.messages import single_messages

LINE = re.compile(r'^\[(?P<id>\d+)\] (?P<kind>\S+)(?: "(?P<name>[^"]*)")?.* at=\((?P<x>\d+),(?P<y>\d+)\) '
                  r'size=(?P<w>\d+)x(?P<h>\d+)')


def scene_text(obs, info) -> str:
    text = single_messages(Context.of("agentloop/android.wifi_on", obs, info), [], images=False)[1].text()
    return text.split("SCENE GRAPH:\n", 1)[1].split("\n\n", 1)[0]


def _settings(adb_double, **kw):
    env = AndroidEnv(task="wifi_on", adb_port=adb_double.port, settle_s=0.0, **kw)
    env.reset(seed=0)
    obs, _, _, _, info = env.step("open_app(app_name='settings')")
    assert perception_of(info).action_error is None
    return env, obs, info


def test_a_tap_at_the_printed_centre_of_the_switch_turns_it_on(adb_double):
    env, obs, info = _settings(adb_double)
    try:
        text = scene_text(obs, info)
        h, w = obs["screenshot"].shape[:2]
        assert text.splitlines()[0].startswith(
            f"(boxes: at=(x,y) is a node's centre and size=WxH its extent, in pixels of the {w}x{h} screenshot "
            "(origin top-left, x right, y down), as click, long_press and swipe take them)")
        lines = [m for m in map(LINE.match, text.splitlines()) if m]
        graph = perception_of(info).scene_graph
        assert graph is not None and len(lines) == len(graph.nodes)
        for m in lines:  # the printed centre is where click(element=...) taps
            x, y, bw, bh = graph.nodes[int(m["id"])].attrs["bbox"]
            assert (int(m["x"]), int(m["y"]), int(m["w"]), int(m["h"])) == (x + bw // 2, y + bh // 2, bw, bh)
        # The switch on the Wi-Fi row: the row's title is left_of it.
        title = next(m for m in lines if m["name"] == "Wi-Fi")
        switch = next(m for m in lines if m["kind"] == "switch" and abs(int(m["y"]) - int(title["y"])) < 10)
        assert switch["id"] != title["id"]
        _, reward, terminated, _, info = env.step(f"click(x={switch['x']}, y={switch['y']})")
        assert perception_of(info).action_error is None and perception_of(info).success and terminated
    finally:
        env.close()


def test_a_tap_beside_the_switch_does_not(adb_double):
    """The check above can fail: the Bluetooth switch's centre is another switch."""
    env, obs, info = _settings(adb_double)
    try:
        lines = [m for m in map(LINE.match, scene_text(obs, info).splitlines()) if m]
        title = next(m for m in lines if m["name"] == "Bluetooth")
        switch = next(m for m in lines if m["kind"] == "switch" and abs(int(m["y"]) - int(title["y"])) < 10)
        _, _, _, _, info = env.step(f"click(x={switch['x']}, y={switch['y']})")
        assert perception_of(info).action_error is None and not perception_of(info).success
    finally:
        env.close()


def test_a_scaled_frame_is_said_to_be(adb_double):
    """Boxes stay in the screen's pixels (what the skills take); the text says the image is scaled."""
    env, obs, info = _settings(adb_double, obs_width=270, obs_height=480)
    try:
        assert obs["screenshot"].shape[:2] == (480, 270)
        head = scene_text(obs, info).splitlines()[0]
        assert "in pixels of the 540x960 screen, which the image shows scaled to 270x480 (origin top-left" in head
    finally:
        env.close()
