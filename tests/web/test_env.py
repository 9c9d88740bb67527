"""WebEnv on a local page: element graph, skills, typed errors, sandbox, check_env."""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from agentloop.envs.web.env import WebEnv


@pytest.fixture(scope="module")
def env():
    e = WebEnv(task="tests.web.pages:make", viewport=(640, 480))
    yield e
    e.close()


def by_dom(info, dom_id):
    return next(n for n in info["scene_graph"].nodes if n.get("dom_id") == dom_id)


def test_observation_and_graph(env):
    obs, info = env.reset(seed=0)
    assert obs["screenshot"].shape == (480, 640, 3) and obs["screenshot"].dtype == np.uint8
    scene = info["scene_graph"]
    name = by_dom(info, "name")
    assert name.kind == "textbox" and name.name == "Name" and name.get("editable")
    assert by_dom(info, "colour").kind == "combobox"
    assert by_dom(info, "agree").kind == "checkbox" and by_dom(info, "agree").get("checked") is False
    assert by_dom(info, "del").get("irreversible") is True and by_dom(info, "go").get("irreversible") is False
    assert not any(n.get("dom_id") == "hidden" for n in scene.nodes)
    assert scene.meta["offscreen"] >= 1  # "far below" lies outside the viewport
    assert any(r.rel == "child_of" for r in scene.relations)
    assert any(r.rel in ("left_of", "right_of", "above", "below", "near") for r in scene.relations)
    assert f"[{name.id}] textbox 'Name'" in obs["text"]
    assert info["blocked_requests"] >= 1  # the off-origin tracker image
    assert {"snapshot", "screenshot", "context"} <= set(info["timings"])


def test_skills_and_ids_stable(env):
    obs, info = env.reset(seed=0)
    name, go, agree = by_dom(info, "name"), by_dom(info, "go"), by_dom(info, "agree")
    obs, r, term, _, info = env.step(f'type(element="{name.id}", text="Ada")')
    assert info["action_error"] is None and by_dom(info, "name").get("value") == "Ada"
    assert by_dom(info, "name").id == name.id
    _, _, _, _, info = env.step(f'check(element="{agree.id}")')
    assert by_dom(info, "agree").get("checked") is True
    _, _, _, _, info = env.step(f'uncheck(element="{agree.id}")')
    assert by_dom(info, "agree").get("checked") is False
    colour = by_dom(info, "colour")
    _, _, _, _, info = env.step(f'select(element="{colour.id}", option="Green")')
    assert by_dom(info, "colour").get("value") == "g"
    _, r, term, _, info = env.step(f'click(element="{go.id}")')
    assert info["success"] and term and r == 1.0


@pytest.mark.parametrize("action,kind", [
    ('click(element="9999")', "no_element"),
    ('goto(url="http://elsewhere.example/")', "navigation_blocked"),
    ('goto(url="file:///etc/passwd")', "navigation_blocked"),
    ('fly(to="moon")', "unknown_skill"),
    ("click(", "parse"),
])
def test_typed_errors(env, action, kind):
    env.reset(seed=0)
    _, _, _, _, info = env.step(action)
    assert info["action_error_kind"] == kind and info["action_error"]


def test_not_editable_and_covered(env):
    _, info = env.reset(seed=0)
    _, _, _, _, info2 = env.step(f'type(element="{by_dom(info, "ro").id}", text="x")')
    assert info2["action_error_kind"] == "not_editable"
    _, _, _, _, info3 = env.step(f'click(element="{by_dom(info, "under").id}")')
    assert info3["action_error_kind"] == "covered"


def test_goto_same_origin_navigates(env):
    env.reset(seed=0)
    _, _, _, _, info = env.step('goto(url="http://test.local/two.html")')
    assert info["action_error"] is None and info["url"].endswith("/two.html")
    assert any(n.name == "Two" for n in info["scene_graph"].nodes)


def test_set_of_marks(env):
    obs, _ = env.reset(seed=0)
    marked = env.set_of_marks()
    assert marked.shape == obs["screenshot"].shape and not np.array_equal(marked, obs["screenshot"])


def test_check_env_local_page():
    e = WebEnv(task="tests.web.pages:make", viewport=(320, 240))
    try:
        check_env(e, skip_render_check=True)
    finally:
        e.close()
