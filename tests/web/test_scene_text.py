"""What a model reads of a web page, in a real Chromium: values and lists whole, SVG glyphs with
their paint, no separators-only text, no wrapper that repeats its lone link, posts that group
their controls; and a click that reaches a control in a scroll box whose hover hides it a moment."""

from __future__ import annotations

import pytest

from agentloop.envs.web.env import WebEnv
from agentloop.errors import ErrorKind
from agentloop.perception import perception_of
from agentloop.skills.web import Rel
from tests.web.pages import LONG_VALUE


@pytest.fixture(scope="module")
def env():
    e = WebEnv(task="tests.web.pages:make_scene", viewport=(640, 480))
    yield e
    e.close()


def _scene(info):
    return perception_of(info).scene_graph


def _dom(scene, dom_id):
    return next(n for n in scene.nodes if n.get("dom_id") == dom_id)


def _parent(scene, nid):
    return next((r.dst for r in scene.relations if r.src == nid and r.rel == Rel.CHILD_OF), None)


def test_values_and_lists_are_shown_whole(env):
    _, info = env.reset(seed=0)
    scene = _scene(info)
    text = scene.to_text()
    assert f'value="{LONG_VALUE}"' in text  # not cut with "…"
    line = next(line for line in text.splitlines() if 'dom_id="many"' in line)
    assert "'Option 49'] (+10 more)" in line and "'Option 50'" not in line and "…" not in line


def test_svg_glyphs_and_shapes_carry_their_paint(env):
    _, info = env.reset(seed=0)
    scene = _scene(info)
    glyph, square = _dom(scene, "glyph"), _dom(scene, "sq")
    assert glyph.name == "l" and glyph.get("color") == "#ffff00"
    assert square.kind == "shape" and square.name == "rect" and square.get("color") == "#ff0000"
    # Goals name colours: the line names them too.
    assert glyph.get("color_name") == "yellow" and 'color_name="red"' in scene.to_text()


def test_separators_and_wrappers_that_repeat_their_link_are_no_nodes(env):
    _, info = env.reset(seed=0)
    scene = _scene(info)
    assert not [n for n in scene.nodes if n.get("tag") == "nav"]  # "| |" says nothing
    assert not [n for n in scene.nodes if n.kind == "cell"]  # each cell folded into its day's link
    day = next(n for n in scene.nodes if n.kind == "link" and n.name == "15")
    assert scene.node(_parent(scene, day.id)).kind == "row"  # its relation moved up to the row
    _, _, _, _, info = env.step(f"click(element={day.id})")
    assert perception_of(info).action_error is None
    assert env.page.inner_text("#out") == "day 15"  # the cell's own handler still hears it


def test_each_post_groups_its_controls(env):
    _, info = env.reset(seed=0)
    scene = _scene(info)
    groups = [n for n in scene.nodes if n.kind == "group"]
    assert [g.name for g in groups] == ["Ann @ann said hi", "Bob @bob said yo"]
    for g in groups:
        mine = [n for n in scene.nodes if n.kind == "button" and _parent(scene, n.id) == g.id]
        assert [b.name for b in mine] == ["reply", "more"]
    assert not [n for n in scene.nodes if n.get("dom_id") == "feed"]  # a lone wrapper stays out


def test_a_click_reaches_a_control_in_a_scroll_box_that_its_hover_hides_a_moment(env):
    _, info = env.reset(seed=0)
    flicker = _dom(_scene(info), "flicker")
    assert flicker.get("clipped")  # below the box's fold
    _, _, _, _, info = env.step(f"click(element={flicker.id})")
    assert perception_of(info).action_error is None
    assert env.page.inner_text("#out") == "flicker"


def test_a_miss_says_why(env):
    _, info = env.reset(seed=0)
    scene = _scene(info)
    gone = _dom(scene, "gone")
    _, _, _, _, info = env.step(f"click(element={gone.id})")
    failure = perception_of(info).action_error
    error = failure.message if failure is not None else ""
    box = gone.get("scroll_box")
    assert failure is not None and failure.kind == ErrorKind.MISSED and f"scrolled inside its scroll box [{box}]" in error
    assert "vanished under the pointer" in error and "click it again" in error
