"""WebEnv on a local page: element graph, skills, typed errors, sandbox, check_env."""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from agentloop.envs.web import js
from agentloop.envs.web.env import WebEnv
from agentloop.errors import ErrorKind
from agentloop.perception import perception_of


@pytest.fixture(scope="module")
def env():
    e = WebEnv(task="tests.web.pages:make", viewport=(640, 480))
    yield e
    e.close()


def by_dom(info, dom_id):
    return next(n for n in perception_of(info).scene_graph.nodes if n.get("dom_id") == dom_id)


def test_observation_and_graph(env):
    obs, info = env.reset(seed=0)
    assert obs["screenshot"].shape == (480, 640, 3) and obs["screenshot"].dtype == np.uint8
    seen = perception_of(info)
    scene = seen.scene_graph
    name = by_dom(info, "name")
    assert name.kind == "textbox" and name.name == "Name" and name.get("editable")
    assert by_dom(info, "colour").kind == "combobox"
    assert by_dom(info, "agree").kind == "checkbox" and by_dom(info, "agree").get("checked") is False
    assert by_dom(info, "del").get("irreversible") is True and not by_dom(info, "go").get("irreversible")
    assert not any(n.get("dom_id") == "hidden" for n in scene.nodes)
    assert scene.meta["elements_offscreen"] >= 1  # "far below" lies outside the viewport
    assert any(r.rel == "child_of" for r in scene.relations)
    assert any(r.rel in ("left_of", "right_of", "above", "below", "near") for r in scene.relations)
    assert f"[{name.id}] textbox input 'Name' value='' placeholder='your name' editable" in obs["text"]
    assert seen.extra["blocked_requests"] >= 1  # the off-origin tracker image
    assert seen.extra["url"] == "http://test.local/index.html" and seen.extra["offscreen"] == scene.meta["elements_offscreen"]
    assert {"browser", "context", "setup", "snapshot", "screenshot", "graph", "decode"} <= set(seen.timings)
    assert seen.task == "test.form" and seen.goal == "type a name, then press Go"


def test_skills_and_ids_stable(env):
    obs, info = env.reset(seed=0)
    name, go, agree = by_dom(info, "name"), by_dom(info, "go"), by_dom(info, "agree")
    obs, r, term, _, info = env.step(f'type(element="{name.id}", text="Ada")')
    assert perception_of(info).action_error is None and by_dom(info, "name").get("value") == "Ada"
    assert "settle" in perception_of(info).timings
    assert by_dom(info, "name").id == name.id
    _, _, _, _, info = env.step(f'check(element="{agree.id}")')
    assert by_dom(info, "agree").get("checked") is True
    _, _, _, _, info = env.step(f'uncheck(element="{agree.id}")')
    assert by_dom(info, "agree").get("checked") is False
    colour = by_dom(info, "colour")
    _, _, _, _, info = env.step(f'select(element="{colour.id}", option="Green")')
    assert by_dom(info, "colour").get("value") == "g"
    _, r, term, _, info = env.step(f'click(element="{go.id}")')
    assert perception_of(info).success and term and r == 1.0


@pytest.mark.parametrize("action,kind", [
    ('click(element="9999")', ErrorKind.NO_ELEMENT),
    ('scroll(element="9999")', ErrorKind.NO_ELEMENT),
    ('drag(element="9999", target="1")', ErrorKind.NO_ELEMENT),
    ('goto(url="http://elsewhere.example/")', ErrorKind.NAVIGATION_BLOCKED),
    ('goto(url="file:///etc/passwd")', ErrorKind.NAVIGATION_BLOCKED),
    ('fly(to="moon")', ErrorKind.UNKNOWN_SKILL),
    ('wait(ms="soon")', ErrorKind.BAD_ARGUMENT),
    ("click(", ErrorKind.PARSE),
])
def test_typed_errors(env, action, kind):
    env.reset(seed=0)
    _, _, _, _, info = env.step(action)
    error = perception_of(info).action_error
    assert error is not None and error.kind is kind and error.message


def kind_of(info):
    error = perception_of(info).action_error
    return error.kind if error is not None else None


def test_grounding_errors_leave_the_page_as_it_was(env):
    _, info = env.reset(seed=0)
    _, _, _, _, info2 = env.step(f'type(element="{by_dom(info, "ro").id}", text="x")')
    assert kind_of(info2) is ErrorKind.NOT_EDITABLE and by_dom(info2, "ro").get("value") == "fixed"
    _, _, _, _, info3 = env.step(f'click(element="{by_dom(info, "under").id}")')
    assert kind_of(info3) is ErrorKind.COVERED
    assert "covered by div" in perception_of(info3).action_error.message
    _, _, _, _, info4 = env.step(f'select(element="{by_dom(info, "colour").id}", option="Blue")')
    assert kind_of(info4) is ErrorKind.NO_ELEMENT and by_dom(info4, "colour").get("value") == "r"
    _, _, _, _, info5 = env.step(f'check(element="{by_dom(info, "go").id}")')
    assert kind_of(info5) is ErrorKind.BAD_ARGUMENT
    assert env.page.evaluate("() => document.getElementById('out').textContent") == ""


def test_goto_same_origin_navigates(env):
    env.reset(seed=0)
    _, _, _, _, info = env.step('goto(url="http://test.local/two.html")')
    seen = perception_of(info)
    assert seen.action_error is None and seen.extra["url"].endswith("/two.html")
    assert any(n.name == "Two" for n in seen.scene_graph.nodes)


def test_set_of_marks(env):
    obs, info = env.reset(seed=0)
    marked = env.set_of_marks()
    assert marked.shape == obs["screenshot"].shape and not np.array_equal(marked, obs["screenshot"])
    assert "set_of_marks" not in info


def test_marks_in_info_when_asked():
    e = WebEnv(task="tests.web.pages:make", viewport=(320, 240), marks=True)
    try:
        obs, info = e.reset(seed=0)
        assert info["set_of_marks"].shape == obs["screenshot"].shape
        _, _, _, _, info = e.step('click(element="9999")')  # refused: marks of the same page
        assert np.array_equal(info["set_of_marks"], e.set_of_marks())
    finally:
        e.close()


def test_scroll_and_press(env):
    env.reset(seed=0)
    _, _, _, _, info = env.step('scroll(direction="down", amount=200)')
    assert perception_of(info).action_error is None and env.page.evaluate("() => window.scrollY") == 200
    _, _, _, _, info = env.step('scroll(direction="up", amount=200)')
    name = by_dom(info, "name")
    _, _, _, _, info = env.step(f'press(key="a", element="{name.id}")')
    assert perception_of(info).action_error is None and by_dom(info, "name").get("value") == "a"


def test_press_only_focuses_and_numeric_ids(env):
    _, info = env.reset(seed=0)
    under = by_dom(info, "under")  # covered by a translucent div: a click is refused, a key is not
    env.page.evaluate("() => { const u = document.getElementById('under'); u.tabIndex = 0;"
                      " u.addEventListener('keydown', e => { document.getElementById('out').textContent = 'key ' + e.key; }); }")
    _, _, _, _, info = env.step(f'press(key="x", element={under.id})')
    assert kind_of(info) is None
    assert env.page.evaluate("() => document.getElementById('out').textContent") == "key x"
    name = by_dom(info, "name")
    _, _, _, _, info = env.step(f"type(element={name.id}, text='Bo')")  # a number, not a string
    assert kind_of(info) is None and by_dom(info, "name").get("value") == "Bo"


def test_check_env_local_page():
    e = WebEnv(task="tests.web.pages:make", viewport=(320, 240))
    try:
        check_env(e, skip_render_check=True)
    finally:
        e.close()


def test_a_control_redrawn_under_the_pointer_is_read_with_its_hover():
    """A click that redraws its control under the resting pointer (a date picker's "Prev") is
    read once the browser has given the new control its hover: the settle after an action is
    not over before an animation frame has passed since the page last changed (the browser
    brings hover up to date at a frame's start), however short its quiet wait (1 ms here)."""
    e = WebEnv(task="tests.web.pages:make", viewport=(320, 240), settle_quiet_ms=1)
    try:
        e.reset(seed=0)
        e.page.evaluate("""() => {
            const style = document.createElement('style');
            style.textContent = '#redraw { position: fixed; left: 10px; top: 10px; width: 40px; height: 40px; }'
                + ' #redraw.hov { height: 60px; }';  // grows away from where the pointer rests
            document.head.append(style);
            const draw = () => {
                document.getElementById('redraw')?.remove();
                const b = document.createElement('button');
                b.id = 'redraw'; b.textContent = 'Prev';
                b.addEventListener('mouseover', () => { b.className = 'hov'; });
                b.addEventListener('click', draw);
                document.body.append(b);
            };
            draw();
            window.frames_ = 0;
            const tick = () => { window.frames_++; requestAnimationFrame(tick); };
            requestAnimationFrame(tick);
        }""")
        _, _, _, _, info = e.step('wait(ms=50)')
        for _ in range(3):
            _, _, _, _, info = e.step(f'click(element="{by_dom(info, "redraw").id}")')
            assert kind_of(info) is None and by_dom(info, "redraw").get("bbox")[3] == 60
        # The settle itself: a change made as it starts, and frames counted until it is over.
        waited = [e.page.evaluate(f"""async () => {{
            const settled = ({js.SETTLE})([1, 1000, 0]);
            document.body.append(document.createElement('i'));
            const before = window.frames_;
            await settled;
            return window.frames_ - before;
        }}""") for _ in range(5)]
        assert min(waited) >= 1, waited
    finally:
        e.close()


def test_an_image_an_action_reveals_is_read_once_it_has_come():
    """A click shows an icon whose image is fetched only then, and its server answers late (as
    a task's files are served to 64 sessions at once): the settle waits for the page's requests
    under way, so the look after the click has the icon at its size, whatever the delay; one
    that outlives the settle (a long poll) is not waited for again."""
    import http.server
    import threading
    import time

    import cv2

    from tests.web.pages import ICON

    png = cv2.imencode(".png", np.full((12, 20, 3), 200, np.uint8))[1].tobytes()

    class Late(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            page = self.path.startswith("/icon.html")
            if not page:
                time.sleep(3 if self.path.startswith("/poll") else 0.4)
            self.send_response(200)
            self.send_header("Content-Type", "text/html" if page else "image/png")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(ICON.encode() if page else png)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Late)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    e = WebEnv(task="tests.web.pages:make_icon", task_kwargs={"origin": f"http://127.0.0.1:{server.server_port}"},
               viewport=(320, 240))
    try:
        _, info = e.reset(seed=0)
        _, _, _, _, info = e.step(f'click(element="{by_dom(info, "open").id}")')
        assert kind_of(info) is None
        assert by_dom(info, "icon").get("bbox")[2:] == [20, 12]
        assert e.timings["settle"] >= 0.4
        # A request that outlives the settle (a long poll) is waited for once, up to the bound.
        _, _, _, _, info = e.step(f'click(element="{by_dom(info, "poll").id}")')
        assert kind_of(info) is None and e.timings["settle"] >= 0.9
        e.step("wait(ms=0)")
        assert e.timings["settle"] < 0.5
        # The page's own account, whenever the request is told to the env: the settle itself is
        # not over before the picture has come (the icon shown as it starts).
        e.reset(seed=0)
        waited, width = e.page.evaluate(f"""async () => {{
            const t = performance.now(), settled = ({js.SETTLE})([1, 3000, 0]);
            document.getElementById('icon').className = 'shown';
            await settled;
            return [performance.now() - t, document.getElementById('icon').getBoundingClientRect().width];
        }}""")
        assert waited >= 400 and width == 20, (waited, width)
    finally:
        e.close()
        server.shutdown()
