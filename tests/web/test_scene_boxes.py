"""The scene text a model reads gives each MiniWoB node's box in the screenshot's pixels, the
space the pixel skills take: in a real Chromium, the centre printed for a button, clicked with
`click_at`, clicks that very button."""

from __future__ import annotations

import re

import pytest

from agentloop.context import Context
from agentloop.envs.web.env import WebEnv
from agentloop.perception import perception_of
from agentloop.prompts.messages import single_messages

LINE = re.compile(r'^\[(?P<id>[^\]]+)\] (?P<kind>\S+)(?: "(?P<name>[^"]*)")?.* at=\((?P<x>\d+),(?P<y>\d+)\) '
                  r'size=(?P<w>\d+)x(?P<h>\d+)')


def scene_text(env_id: str, obs, info) -> str:
    """The SCENE GRAPH block of the single-call prompt a model is sent at this step."""
    text = single_messages(Context.of(env_id, obs, info), [], images=False)[1].text()
    return text.split("SCENE GRAPH:\n", 1)[1].split("\n\n", 1)[0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_printed_centre_of_a_button_clicked_at_clicks_it(seed: int) -> None:
    env = WebEnv(task="agentloop.envs.web.miniwob.tasks:make", task_kwargs={"task": "click-button"},
                 viewport=(400, 420))
    try:
        obs, info = env.reset(seed=seed)
        text = scene_text("agentloop/miniwob.click-button", obs, info)
        h, w = obs["screenshot"].shape[:2]
        # The frame is said once, and it is the image's: the screenshot's own size.
        assert text.splitlines()[0].startswith(f"(boxes: at=(x,y) is a node's centre and size=WxH its extent, "
                                               f"in pixels of the {w}x{h} screenshot (origin top-left")
        assert "bbox" not in text
        lines = {m["id"]: m for m in map(LINE.match, text.splitlines()) if m}
        graph = perception_of(info).scene_graph
        assert graph is not None
        buttons = [n for n in graph.nodes if n.kind == "button"]
        assert len(buttons) >= 2 and all(b.id in lines for b in buttons)
        for n in buttons:  # what is printed is the box's centre and size, rounded
            bx, by, bw, bh = n.attrs["bbox"]
            m = lines[n.id]
            assert abs(int(m["x"]) - (bx + bw / 2)) <= 1 and abs(int(m["y"]) - (by + bh / 2)) <= 1
            assert abs(int(m["w"]) - bw) <= 1 and abs(int(m["h"]) - bh) <= 1
        wanted = re.search(r'"([^"]+)"', perception_of(info).goal)
        assert wanted is not None
        target = next(lines[b.id] for b in buttons if b.name == wanted.group(1))
        # A model that reads only the text aims the pixel skill at the printed centre.
        _, reward, terminated, _, info = env.step(f"click_at(x={target['x']}, y={target['y']})")
        assert perception_of(info).action_error is None
        assert terminated and reward > 0 and perception_of(info).success
    finally:
        env.close()


def test_a_miss_by_the_printed_box_fails_the_task() -> None:
    """The check above can fail: the centre of another button clicks the wrong one."""
    env = WebEnv(task="agentloop.envs.web.miniwob.tasks:make", task_kwargs={"task": "click-button"},
                 viewport=(400, 420))
    try:
        obs, info = env.reset(seed=0)
        text = scene_text("agentloop/miniwob.click-button", obs, info)
        lines = [m for m in map(LINE.match, text.splitlines()) if m and m["kind"] == "button"]
        wanted = re.search(r'"([^"]+)"', perception_of(info).goal)
        assert wanted is not None
        other = next(m for m in lines if m["name"] != wanted.group(1))
        _, reward, _, _, info = env.step(f"click_at(x={other['x']}, y={other['y']})")
        assert not perception_of(info).success and reward <= 0
    finally:
        env.close()
