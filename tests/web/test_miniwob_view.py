"""MiniWoB++ pages as a model sees them: no reward display, icons named, autocomplete menus as
listbox/option once their timer has run, sliders with values, the instruction's emphasis."""

from __future__ import annotations

import pytest

from agentloop.envs.web.env import WebEnv
from agentloop.perception import perception_of


@pytest.fixture
def make():
    envs = []

    def _make(task):
        env = WebEnv(task="agentloop.envs.web.miniwob.tasks:make", task_kwargs={"task": task}, viewport=(400, 420))
        envs.append(env)
        return env

    yield _make
    for env in envs:
        env.close()


def nodes(info):
    return perception_of(info).scene_graph.nodes


def test_autocomplete_menu_is_a_listbox_after_its_timer(make):
    env = make("use-autocomplete")
    _, info = env.reset(seed=1)
    box = next(n for n in nodes(info) if n.kind == "textbox")
    obs, _, _, _, info = env.step(f'type(element={box.id}, text="Eg")')  # the menu opens 300 ms later
    assert any(n.kind == "listbox" for n in nodes(info))
    option = next(n for n in nodes(info) if n.kind == "option")
    assert option.name == "Egypt" and f"[{option.id}] option li 'Egypt'" in obs["text"]
    assert "result is available" not in obs["text"]  # the screen-reader live region is not shown
    _, _, _, _, info = env.step(f"click(element={option.id})")
    assert next(n for n in nodes(info) if n.id == box.id).get("value") == "Egypt"


def test_reward_display_left_out_and_icons_named(make):
    env = make("email-inbox")
    obs, info = env.reset(seed=1)
    assert "Last reward" not in obs["text"] and not any(n.get("dom_id") == "reward-display" for n in nodes(info))
    icons = [n for n in nodes(info) if n.get("tag") == "span" and n.get("clickable")]
    assert any("trash" in n.name for n in icons) and any("star" in n.name for n in icons)
    assert any(n.kind == "scrollable" and n.get("scroll")[3] > 0 for n in nodes(info))


def test_instruction_keeps_its_emphasis(make):
    env = make("search-engine")
    _, info = env.reset(seed=1)
    query = next(n for n in nodes(info) if n.get("dom_id") == "query")
    words = query.get("emphasis")
    assert words and all(w in query.name for w in words) and f'"{words[0]}"' in query.name


def test_slider_has_value_and_range_and_takes_keys(make):
    env = make("use-slider")
    _, info = env.reset(seed=1)
    (handle,) = (n for n in nodes(info) if n.kind == "slider")  # one node: the track takes the keys
    assert handle.get("tag") == "div" and handle.get("min") == "0" and handle.get("max") == "10"
    before = int(handle.get("value"))
    _, _, _, _, info = env.step(f'press(key="ArrowRight", element={handle.id})')
    assert int(next(n for n in nodes(info) if n.id == handle.id).get("value")) == before + 1
