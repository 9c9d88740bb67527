"""The page as a model sees it: controls without text, listeners, scroll boxes, clipping, a
click that lands elsewhere, timers, and the text view's states (a real Chromium, a local page)."""

from __future__ import annotations

import pytest

from agentloop.envs.web.env import WebEnv
from agentloop.errors import ErrorKind
from agentloop.perception import perception_of


@pytest.fixture(scope="module")
def env():
    e = WebEnv(task="tests.web.pages:make_widgets", viewport=(640, 480))
    yield e
    e.close()


def node(info, dom_id):
    return next(n for n in perception_of(info).scene_graph.nodes if n.get("dom_id") == dom_id)


def has(info, dom_id):
    return any(n.get("dom_id") == dom_id for n in perception_of(info).scene_graph.nodes)


def out(env):
    return env.page.evaluate("() => document.getElementById('out').textContent")


def kind_of(info):
    error = perception_of(info).action_error
    return error.kind if error is not None else None


def test_controls_without_text_are_named_nodes(env):
    _, info = env.reset(seed=0)
    trash, swatch, star, reply = (node(info, i) for i in ("trash", "swatch", "star", "reply"))
    assert all(n.get("clickable") for n in (trash, swatch, star, reply))
    assert "trash" in trash.name and star.name == "Star" and "reply" in reply.name
    assert swatch.get("color") == "#008000"
    assert not has(info, "chrome")  # the task's chrome is left out
    assert not has(info, "deleg")  # a host that only delegates is no control
    for dom_id, effect in (("trash", "trash"), ("swatch", "swatch"), ("reply", "reply")):
        _, _, _, _, info = env.step(f"click(element={node(info, dom_id).id})")
        assert kind_of(info) is None and out(env) == effect


def test_scroll_box_clips_and_is_reached(env):
    _, info = env.reset(seed=0)
    box, b7, b1 = node(info, "box"), node(info, "b7"), node(info, "b1")
    assert box.get("scrollable") and box.get("scroll")[1] == 0 and box.get("scroll")[3] > 0
    assert b7.get("clipped") and not b7.get("visible") and b7.get("scroll_box") == box.id
    assert b1.get("visible", True) and not b1.get("clipped") and b1.get("scroll_box") == box.id
    _, _, _, _, info = env.step(f"click(element={b7.id})")  # scrolled into view, then clicked
    assert kind_of(info) is None and out(env) == "b7"
    assert node(info, "b7").get("visible", True) and node(info, "box").get("scroll")[1] > 0
    _, _, _, _, info = env.step(f'scroll(element={box.id}, direction="up", amount=500)')
    assert node(info, "box").get("scroll")[1] == 0 and node(info, "b7").get("clipped")
    _, _, _, _, info = env.step(f'scroll(element={b1.id}, direction="down", amount=40)')  # its box scrolls
    assert node(info, "box").get("scroll")[1] == 40 and env.page.evaluate("() => window.scrollY") == 0


def test_clipped_shown_in_text_view(env):
    obs, info = env.reset(seed=0)
    box, b7 = node(info, "box"), node(info, "b7")
    assert f"[{b7.id}] button 'B7' clipped in [{box.id}]" in obs["text"]
    assert f"[{box.id}] scrollable div" in obs["text"]


def test_a_click_that_lands_elsewhere_is_reported(env):
    _, info = env.reset(seed=0)
    _, _, _, _, info = env.step(f"click(element={node(info, 'moving').id})")
    error = perception_of(info).action_error
    assert error is not None and error.kind is ErrorKind.MISSED and "div#shield" in error.message
    assert out(env) == "shield"
    assert node(info, "out").name == "shield"  # it did act: the page is observed anew


def test_settle_waits_for_short_timers_and_wait_lets_time_pass(env):
    _, info = env.reset(seed=0)
    _, _, _, _, info = env.step(f'press(key="p", element={node(info, "ac").id})')
    assert any(n.name == "Paris" for n in perception_of(info).scene_graph.nodes)  # the 300 ms timer ran
    _, _, _, _, info = env.step(f"click(element={node(info, 'late').id})")
    assert out(env) == "late"  # 400 ms: still part of the click's effect
    _, _, _, _, info = env.step(f"click(element={node(info, 'slow').id})")  # 800 ms: not a short timer
    _, _, _, _, info = env.step("wait(ms=900)")  # that much page time passes, whatever the machine's load
    assert out(env) == "slow" and node(info, "out").name == "slow"


def test_select_several_and_hidden_text(env):
    _, info = env.reset(seed=0)
    multi = node(info, "multi")
    assert multi.kind == "listbox" and multi.get("selected_options") == []
    _, _, _, _, info = env.step(f'select(element={multi.id}, option=["Ann", "Cy"])')
    assert kind_of(info) is None and node(info, "multi").get("selected_options") == ["Ann", "Cy"]
    _, _, _, _, info = env.step(f'select(element={node(info, "range").id}, option=["1", "2"])')
    assert kind_of(info) is ErrorKind.BAD_ARGUMENT  # a slider is no list
    card = node(info, "card")  # its number is drawn at size 0: no one can read it
    assert "12" not in card.name and card.get("clickable")


def test_a_link_that_wraps_is_clicked_on_its_text(env):
    _, info = env.reset(seed=0)
    link = node(info, "wrapped")
    assert link.get("bbox")[3] > 20  # two lines: the centre of its box is between them
    _, _, _, _, info = env.step(f"click(element={link.id})")
    assert kind_of(info) is None and out(env) == "wrapped"


def test_icons_by_their_class(env):
    obs, info = env.reset(seed=0)
    item = node(info, "mi")
    assert item.name == "Save" and item.get("icons") == ["disk"] and "icons=disk" in obs["text"]
    ask = node(info, "iconq")  # not a sentence of inline parts only: the item is a node of its own
    assert "Pick the" in ask.name
    then = node(info, "iconq2")  # an icon inside a sentence is named where it stands
    assert then.name == "Then the [stop] one." and then.get("emphasis") == ["stop"]


def test_settle_waits_for_smooth_scrolling(env):
    _, info = env.reset(seed=0)
    _, _, _, _, info = env.step(f"click(element={node(info, 'smooth').id})")
    assert node(info, "box").get("scroll")[1] == 66  # observed once the animation is over
    assert node(info, "b7").get("visible", True)


def test_text_view_states(env):
    obs, info = env.reset(seed=0)
    text = obs["text"]
    query = node(info, "query")
    assert query.name == 'Enter "foo" and press "Search"' and query.get("emphasis") == ["foo", "Search"]
    assert """'Enter "foo" and press "Search"' emphasis='foo', 'Search'""" in text
    rng, num, date = node(info, "range"), node(info, "num"), node(info, "date")
    assert (rng.kind, rng.get("value"), rng.get("min"), rng.get("max")) == ("slider", "3", "0", "10")
    assert f"[{rng.id}] slider input value='3' min=0 max=10" in text
    assert num.kind == "spinbutton" and f"[{num.id}] spinbutton input value='2' min=1 max=5" in text
    assert date.get("readonly") and not date.get("editable") and f"[{date.id}] textbox input value='10/11/2016' readonly" in text
    kinds = [n.kind for n in perception_of(info).scene_graph.nodes if n.get("tag") in ("table", "tr", "td", "th")]
    assert kinds == ["table", "row", "columnheader", "columnheader", "row", "cell", "cell"]
    long = node(info, "long")
    assert long.name.endswith("end") and len(long.name) > 300  # whole in the graph
    assert f"[{long.id}] text 'word word" in text and "…'" in text and "end'" not in text  # cut, visibly


def test_pixel_actions_in_screenshot_space(env):
    obs, info = env.reset(seed=0)
    cv = node(info, "cv")
    x, y, w, h = cv.get("bbox")  # graph boxes and pixel skills share the screenshot's space
    cx, cy = x + 1, y + 1  # the canvas's own (0, 0), inside its 1 px border
    _, _, _, _, info = env.step(f"drag_at(x={cx + 10}, y={cy + 5}, to_x={cx + 50}, to_y={cy + 20})")
    assert kind_of(info) is None and out(env) == "drag 10,5 50,20"
    _, _, _, _, info = env.step(f"double_click_at(x={cx + 30}, y={cy + 12})")
    assert out(env) == "dbl 30,12"
    _, _, _, _, info = env.step(f"hover_at(x={cx + 7}, y={cy + 8})")
    assert env.page.evaluate("() => document.getElementById('cv').dataset.hover") == "7,8"
    trash = node(info, "trash")
    tx, ty, tw, th = trash.get("bbox")
    _, _, _, _, info = env.step(f"click_at(x={tx + tw / 2}, y={ty + th / 2})")
    assert kind_of(info) is None and out(env) == "trash"
    ac = node(info, "ac")
    ax, ay, aw, ah = ac.get("bbox")
    _, _, _, _, info = env.step(f'type_at(x={ax + 5}, y={ay + ah / 2}, text="Pa")')
    assert kind_of(info) is None and node(info, "ac").get("value") == "Pa"
    assert any(n.name == "Paris" for n in perception_of(info).scene_graph.nodes)  # keys were typed
    box = node(info, "box")
    bx, by, bw, bh = box.get("bbox")
    _, _, _, _, info = env.step(f'scroll_at(x={bx + 20}, y={by + 20}, direction="down", amount=30)')
    assert kind_of(info) is None and node(info, "box").get("scroll")[1] > 0


@pytest.mark.parametrize("action,kind", [
    ("click_at(x=700, y=10)", ErrorKind.OFF_SCREEN),
    ("click_at(x=-1, y=10)", ErrorKind.OFF_SCREEN),
    ("drag_at(x=10, y=10, to_x=10, to_y=900)", ErrorKind.OFF_SCREEN),
    ('type_at(x=20, y=8, text="x")', ErrorKind.NOT_EDITABLE),  # the instruction's text takes none
])
def test_pixel_errors(env, action, kind):
    env.reset(seed=0)
    _, _, _, _, info = env.step(action)
    assert kind_of(info) is kind


def test_set_of_marks_leaves_clipped_elements_out():
    import numpy as np

    from agentloop.envs.web.capture import draw_marks
    from agentloop.scene import Node, SceneGraph

    shown = Node(id="1", kind="button", attrs={"bbox": [10, 10, 30, 20], "clickable": True, "visible": True})
    hidden = Node(id="2", kind="button", attrs={"bbox": [60, 60, 30, 20], "clickable": True, "visible": False,
                                                 "clipped": True})
    frame = np.zeros((100, 100, 3), np.uint8)
    marked = draw_marks(frame, SceneGraph(nodes=[shown, hidden]))
    assert marked[10:31, 10:41].any() and not marked[60:81, 60:91].any()
