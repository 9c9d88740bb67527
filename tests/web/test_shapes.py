"""What a model is shown of MiniWoB's widgets and shapes, and the skills that act on them, in a
real Chromium: drop-down options, link-like text as links, a slider as one node set by
`set_value`, SVG shapes as nodes with boxes, fields named by their labels, a drawing along a path,
nodes that carry only what is particular about them, and a screenshot without the side panel."""

from __future__ import annotations

import math

import numpy as np
import pytest

from agentloop.envs.web.elements import DEFAULTS
from agentloop.envs.web.env import WebEnv
from agentloop.perception import perception_of
from agentloop.skills.web import WEB_SKILLS


def miniwob(task: str) -> WebEnv:
    return WebEnv(task="agentloop.envs.web.miniwob.tasks:make", task_kwargs={"task": task}, viewport=(400, 420))


def scene(info):
    return perception_of(info).scene_graph


def by_kind(info, kind):
    return [n for n in scene(info).nodes if n.kind == kind]


def step(env, text):
    obs, reward, terminated, _, info = env.step(text)
    assert perception_of(info).action_error is None, perception_of(info).action_error
    return obs, reward, terminated, info


@pytest.fixture
def env_of():
    made = []

    def make(task):
        made.append(miniwob(task))
        return made[-1]
    yield make
    for e in made:
        e.close()


def test_a_drop_down_lists_its_options(env_of):
    env = env_of("choose-list")
    obs, info = env.reset(seed=3)
    (box,) = by_kind(info, "combobox")
    assert len(box.get("options")) >= 2 and box.get("value") in box.get("options")
    assert "options=" + " | ".join(box.get("options")[:2]) in obs["text"]


def test_text_the_page_makes_a_link_of_is_a_link(env_of):
    env = env_of("click-link")
    _, info = env.reset(seed=3)
    target = env.goal.split('"')[1]
    links = by_kind(info, "link")
    assert target in [n.name for n in links] and all(n.get("tag") == "span" for n in links)
    assert not [n for n in scene(info).nodes if n.kind == "generic" and n.name == target]


def test_a_field_is_named_by_the_label_before_it(env_of):
    env = env_of("login-user")
    _, info = env.reset(seed=3)
    names = {n.get("dom_id"): n.name for n in by_kind(info, "textbox")}
    assert names == {"username": "Username", "password": "Password"}


def test_a_slider_is_one_node_and_set_value_moves_it(env_of):
    env = env_of("use-slider")
    _, info = env.reset(seed=3)
    (slider,) = by_kind(info, "slider")
    lo, hi = int(slider.get("min")), int(slider.get("max"))
    want = int(env.goal.split()[1])
    assert lo <= want <= hi and slider.get("value") is not None
    call = env.skillset.bind(f"set_value(element={slider.id}, value={want})")
    before = scene(info)
    effects = call.skill.expected_effect(before, call.args)
    _, _, _, info = step(env, f"set_value(element={slider.id}, value={want})")
    assert scene(info).node(slider.id).get("value") == str(want)
    assert all(e.holds(before, scene(info)) for e in effects)
    submit = next(n for n in by_kind(info, "button") if n.name == "Submit")
    _, _, terminated, info = step(env, f"click(element={submit.id})")
    assert terminated and perception_of(info).success
    refused = env.skillset.bind(f"set_value(element={slider.id}, value={hi + 1})")
    assert "outside" in (refused.skill.precondition(scene(info), refused.args) or "")


def test_svg_shapes_are_nodes_with_boxes(env_of):
    env = env_of("chase-circle")
    _, info = env.reset(seed=3)
    (circle,) = by_kind(info, "shape")
    x, y, w, h = circle.get("bbox")
    assert circle.get("tag") == "circle" and w > 5 and h > 5 and circle.name.startswith("circle")


def test_a_circle_drawn_along_a_path_around_the_marked_point_solves_draw_circle(env_of):
    env = env_of("draw-circle")
    _, info = env.reset(seed=3)
    (mark,) = by_kind(info, "shape")
    x, y, w, h = mark.get("bbox")
    cx, cy = x + w / 2, y + h / 2
    points = [[round(cx + 20 * math.cos(a * math.pi / 18), 1), round(cy + 20 * math.sin(a * math.pi / 18), 1)]
              for a in range(37)]
    before = len(by_kind(info, "shape"))
    _, _, _, info = step(env, f"drag_path(points={points})")
    assert len(by_kind(info, "shape")) == before + 1  # the stroke is a path on the drawing now
    submit = next(n for n in by_kind(info, "button") if n.name == "Submit")
    _, _, terminated, info = step(env, f"click(element={submit.id})")
    assert terminated and perception_of(info).success


def test_drag_path_refuses_a_point_off_the_screenshot(env_of):
    env = env_of("draw-circle")
    _, info = env.reset(seed=3)
    _, _, _, _, info = env.step("drag_path(points=[[10, 10], [500, 10]])")
    assert perception_of(info).action_error is not None and "outside the screenshot" in perception_of(info).action_error.message


def test_nodes_carry_only_what_differs_from_the_default_and_few_relations(env_of):
    env = env_of("email-inbox")
    _, info = env.reset(seed=3)
    graph = scene(info)
    for n in graph.nodes:
        assert not [k for k, v in n.attrs.items() if k in DEFAULTS and v == DEFAULTS[k]], n
    spatial = [r for r in graph.relations if r.rel != "child_of"]
    assert {r.rel for r in spatial} <= {"left_of", "above"}
    per_node = {}
    for r in spatial:
        per_node[r.src] = per_node.get(r.src, 0) + 1
    assert max(per_node.values()) <= 2
    text = graph.to_text()
    assert "disabled=False" not in text and "visible=True" not in text and "(away" not in text
    assert "ids_offscreen" not in graph.meta or graph.meta["ids_offscreen"]


def test_the_screenshot_shows_the_task_not_the_side_panel(env_of):
    env = env_of("click-button")
    obs, info = env.reset(seed=3)
    obs, _, _, info = step(env, f"click(element={by_kind(info, 'button')[0].id})")
    frame = obs["screenshot"]
    panel = frame[:210, 166:330]  # where the last reward, the time left and the click's dot were
    assert (panel == panel[0, 0]).all() and scene(info).node("page") is not None


def test_every_skill_says_its_units_and_what_it_replaces():
    described = {s.name: s.description() for s in WEB_SKILLS}
    assert "replaces" in described["type"] and "does not append" in described["type"]
    assert "[x, y, max_x, max_y]" in described["scroll"]
    fields = {s.name: s.Args.model_json_schema()["properties"] for s in WEB_SKILLS}
    assert "pixels" in fields["scroll"]["amount"]["description"]
    assert "pixels" in fields["drag_path"]["points"]["description"]
    assert "min to its max" in fields["set_value"]["value"]["description"]
    assert np.all([("pixels" in str(fields[name])) for name in ("click_at", "drag_at", "scroll_at", "type_at")])
