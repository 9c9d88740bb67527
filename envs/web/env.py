"""`WebEnv`: a Gymnasium env over Playwright-driven Chromium, one `WebTask` per env.

`WebEnv(task="module:Factory", task_kwargs={...})`: the factory, called with `task_kwargs`,
returns a `WebTask` (`agentloop.envs.web.task`). Each reset opens a fresh browser context on
this thread's long-lived browser, routes every request through the sandbox (only the task's
origins; everything else blocked and counted), lets the task set the page up, and observes.

Where reset's time goes, and what keeps it small: a new context and page cost a renderer
process (hundreds of ms on a busy machine), so after each reset the next episode's context and
page are created in the background (never used before, so still fresh) and the old context
is closed in the background too; and the text caret is hidden by a style sheet installed once
per page instead of by the screenshot call, which would restyle the whole page twice per
screenshot.
"""

from __future__ import annotations

import base64
import importlib
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import cv2
import numpy as np

from agentloop.env import SCRIPTED_PLANNER, InfoKeys, SkillEnv
from agentloop.envs.web.vocabulary import WEB_SKILLS
from agentloop.errors import ActionError, EnvCrashed
from agentloop.scene import SceneGraph
from agentloop.skills import BoundCall
from agentloop.spaces import fit_text, observation_space, text_space

from .browser import collect, forget, start_background, thread_browser
from .elements import SNAPSHOT_JS, build_scene, text_view
from .task import WebTask

# Resolves once the DOM has been quiet for `quiet` ms and no image is still loading, or after
# `bound` ms at most. Timers rather than animation frames: a frame-driven check rounds every
# wait up to whole frames. Images count because they change the pixels without changing the DOM.
SETTLE_JS = r"""
([quiet, bound]) => new Promise(resolve => {
  let timer = null, cap = null;
  const finish = why => { mo.disconnect(); clearTimeout(timer); clearTimeout(cap); resolve(why); };
  const quietNow = () => {
    const loading = Array.from(document.images).filter(i => !i.complete);
    if (!loading.length) return finish('quiet');
    let left = loading.length;
    const one = () => { if (--left === 0) arm(); };
    for (const i of loading) { i.addEventListener('load', one, {once: true}); i.addEventListener('error', one, {once: true}); }
  };
  const arm = () => { clearTimeout(timer); timer = setTimeout(quietNow, quiet); };
  const mo = new MutationObserver(arm);
  mo.observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  cap = setTimeout(() => finish('bound'), bound);
  arm();
})
"""

# Hides the text caret in every document of the context, so screenshots do not depend on
# the caret's blink phase. An adopted sheet: nothing is added to the DOM the page can see.
HIDE_CARET_JS = r"""
(() => { try {
  const s = new CSSStyleSheet();
  s.replaceSync('*, *::before, *::after { caret-color: transparent !important; }');
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, s];
} catch (e) {} })();
"""

# Where an element is and whether something else is on top of it.
LOCATE_JS = r"""
(id) => {
  const el = document.querySelector(`[data-al-id="${id}"]`);
  if (!el) return {found: false};
  const r = el.getBoundingClientRect();
  const cs = getComputedStyle(el);
  const visible = r.width > 0 && r.height > 0 && cs.visibility !== 'hidden' && cs.display !== 'none';
  const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
  const inView = cx >= 0 && cy >= 0 && cx < window.innerWidth && cy < window.innerHeight;
  let coveredBy = null;
  if (visible && inView) {
    const top = document.elementFromPoint(cx, cy);
    if (top && top !== el && !el.contains(top) && !top.contains(el) &&
        !(el.tagName === 'INPUT' && top.tagName === 'LABEL' && top.control === el)) {
      coveredBy = top.tagName.toLowerCase() + (top.id ? '#' + top.id : '') +
        (top.getAttribute('data-al-id') ? ` (element ${top.getAttribute('data-al-id')})` : '');
    }
  }
  const tag = el.tagName;
  const editable = ((tag === 'INPUT' && !['checkbox','radio','button','submit','reset','range','file'].includes((el.type||'text').toLowerCase()))
    || tag === 'TEXTAREA' || el.isContentEditable) && !el.readOnly && !el.disabled;
  return {found: true, visible, inView, coveredBy, cx, cy, editable, tag: tag.toLowerCase(),
          type: (el.type || '').toLowerCase(), checked: !!el.checked, disabled: !!el.disabled};
}
"""


class _Sandbox:
    """The route handler of one context: lets the episode's origins through, blocks and counts
    everything else. One per context, so a closing context's late requests never count
    against the next episode."""

    def __init__(self) -> None:
        self.origins: set[str] = set()
        self.blocked: list[str] = []

    def __call__(self, route: Any) -> None:
        url = route.request.url
        if _origin(url) in self.origins or url.startswith(("data:", "blob:", "about:")):
            route.fallback()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")


@dataclass
class _Context:
    context: Any  # playwright BrowserContext
    page: Any
    sandbox: _Sandbox
    cdp: Any = None  # a DevTools session on the page (screenshots)


def _load_task(path: str, kwargs: dict[str, Any]) -> WebTask:
    mod, _, attr = path.partition(":")
    if not attr:
        raise ValueError(f"task must be 'module:Factory', got {path!r}")
    return getattr(importlib.import_module(mod), attr)(**kwargs)


class WebEnv(SkillEnv):
    metadata = {"render_modes": ["rgb_array"], SCRIPTED_PLANNER: "agentloop.envs.web.planner:WebPlanner"}
    skillset = WEB_SKILLS

    def __init__(
        self, task: str, task_kwargs: dict | None = None, headless: bool = True,
        viewport: tuple[int, int] = (800, 600), max_text: int = 65536, settle_quiet_ms: int = 30,
        settle_bound_ms: int = 1000, action_timeout_ms: int = 5000, marks: bool = False,
        render_mode: str | None = "rgb_array", ahead: int = 1,
    ):
        """`viewport`: (width, height) in CSS pixels; `settle_*`: after an action, wait until the
        DOM is quiet for `settle_quiet_ms` (at most `settle_bound_ms`); `ahead`: how many next
        episodes' contexts to make in the background; `marks`: also put the
        set-of-marks screenshot in `info["set_of_marks"]` every step."""
        super().__init__(render_mode)
        self.task: WebTask = _load_task(task, dict(task_kwargs or {}))
        self.task_name = self.task.name
        self.headless, self.viewport, self.max_text = headless, tuple(viewport), max_text
        self.settle = [settle_quiet_ms, settle_bound_ms]
        self.action_timeout_ms, self.marks = action_timeout_ms, marks
        self.observation_space = observation_space(self.viewport[1], self.viewport[0], max_text)
        self.action_space = text_space(1024)
        self._context: Any = None
        self.page: Any = None
        self._sandbox = _Sandbox()  # the current episode's: its origins and what it blocked
        self._timings: dict[str, float] = {}
        self._next: list[Any] = []  # futures of the next episodes' _Contexts, made in the background
        self.ahead = ahead
        self._made: _Context | None = None  # this episode's

    # ---- sandbox ---------------------------------------------------------------------------
    def _allowed(self, url: str) -> bool:
        return _origin(url) in self._sandbox.origins

    # ---- SkillEnv --------------------------------------------------------------------------
    def _new_context(self, browser: Any) -> _Context:
        """A fresh context with its sandbox and its page: all of an episode's browser state that
        does not depend on the task or the seed."""
        context = browser.new_context(
            viewport={"width": self.viewport[0], "height": self.viewport[1]},
            accept_downloads=False, service_workers="block",
        )
        context.set_default_timeout(self.action_timeout_ms)
        sandbox = _Sandbox()
        # Independent of each other, so sent together: fewer round trips one after another.
        pending = [start_background(browser, lambda: context.add_init_script(HIDE_CARET_JS)),
                   # Routes registered later take precedence: tasks add their own (serving files).
                   start_background(browser, lambda: context.route("**/*", sandbox))]
        page = context.new_page()
        cdp_session = start_background(browser, lambda: context.new_cdp_session(page))
        for fut in pending:
            collect(browser, fut)
        cdp = collect(browser, cdp_session)
        context.on("page", lambda p: p is not page and p.close())  # popups are not the task's world
        sandbox.origins.update(o.rstrip("/") for o in self.task.origins())
        prepare = getattr(self.task, "prepare", None)
        if prepare is not None:  # what the task does alike for every episode (load its page)
            try:
                prepare(page)
            except Exception:
                forget(browser, context.close)
                raise
        return _Context(context, page, sandbox, cdp)

    def _take_next(self, browser: Any) -> _Context | None:
        """The context made in the background after the last reset, if it is still usable."""
        if not self._next:
            return None
        fut = self._next.pop(0)
        try:
            made = collect(browser, fut)
        except Exception:  # the browser went away meanwhile: make a new one below
            return None
        if made.context.browser is not browser or made.page.is_closed():
            forget(browser, made.context.close)
            return None
        return made

    def _reset_world(self, seed: int | None, options: dict[str, Any]) -> str:
        t0 = time.perf_counter()
        browser = thread_browser(self.headless)
        if self._context is not None:
            old, self._context, self.page, self._made = self._context, None, None, None
            if old.browser is browser:
                forget(browser, old.close)  # nothing waits on it: close in the background
        t1 = time.perf_counter()
        made = self._take_next(browser) or self._new_context(browser)
        self._context, self.page, self._made = made.context, made.page, made
        self._sandbox = made.sandbox  # its origins were set when the context was made
        t2 = time.perf_counter()
        if seed is None:
            seed = int(self.np_random.integers(0, 2**31 - 1))
        goal = self.task.setup(self.page, seed)
        self._timings = {"browser": t1 - t0, "context": t2 - t1, "setup": time.perf_counter() - t2}
        return goal

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        obs, info = super().reset(seed=seed, options=options)
        browser = self._context.browser
        while len(self._next) < self.ahead:  # the next episodes' contexts, made while this one runs
            self._next.append(start_background(browser, lambda: self._new_context(browser)))
        return obs, info

    def _el(self, eid: str, *, editable: bool = False) -> dict[str, Any]:
        info = self.page.evaluate(LOCATE_JS, eid)
        if not info["found"]:
            raise ActionError("no_element", f"there is no element {eid} on the page")
        if not info["visible"]:
            raise ActionError("not_visible", f"element {eid} is not visible")
        if not info["inView"]:
            raise ActionError("not_visible", f"element {eid} is outside the viewport; scroll to it first")
        if info["coveredBy"]:
            raise ActionError("covered", f"element {eid} is covered by {info['coveredBy']}")
        if editable and not info["editable"]:
            raise ActionError("not_editable", f"element {eid} ({info['tag']}) is not editable")
        return info

    def _execute(self, call: BoundCall) -> None:
        from playwright.sync_api import Error as PwError
        from playwright.sync_api import TimeoutError as PwTimeout

        name, a = call.call.name, call.args
        url_before = self.page.url
        try:
            self._act(name, a)
            # `wait` is the settle itself, bounded by its own `ms` instead of the default.
            waiting = name == "wait"
            self._settle(url_before, a.ms if waiting else self.settle[1], waiting)
        except PwTimeout as e:
            raise ActionError("timeout", f"{name} timed out: {str(e).splitlines()[0]}") from None
        except PwError as e:
            msg = str(e).splitlines()[0]
            if "has been closed" in msg or "Target closed" in msg:
                raise EnvCrashed(f"the browser went away: {msg}") from e
            raise ActionError("browser", f"{name} failed: {msg}") from None

    def _act(self, name: str, a: Any) -> None:
        page, mouse = self.page, self.page.mouse
        if name == "click":
            el = self._el(a.element)
            mouse.click(el["cx"], el["cy"])
        elif name == "hover":
            el = self._el(a.element)
            mouse.move(el["cx"], el["cy"])
        elif name == "type":
            self._el(a.element, editable=True)
            page.locator(f'[data-al-id="{a.element}"]').fill(a.text)
        elif name == "select":
            el = self._el(a.element)
            if el["tag"] != "select":
                raise ActionError("bad_argument", f"element {a.element} is a {el['tag']}, not a drop-down list")
            loc = page.locator(f'[data-al-id="{a.element}"]')
            labels = loc.evaluate("s => Array.from(s.options).map(o => [o.label, o.value])")
            match = [v for lab, v in labels if a.option in (lab, v)] or \
                [v for lab, v in labels if a.option.lower() == lab.strip().lower()]
            if not match:
                raise ActionError("no_element", f"element {a.element} has no option {a.option!r} "
                                  f"(options: {', '.join(lab for lab, _ in labels[:20])})")
            loc.select_option(value=match[0])
        elif name in ("check", "uncheck"):
            el = self._el(a.element)
            if el["type"] not in ("checkbox", "radio"):
                raise ActionError("bad_argument", f"element {a.element} is not a checkbox or radio button")
            if el["checked"] != (name == "check"):
                mouse.click(el["cx"], el["cy"])
        elif name == "scroll":
            dx = {"left": -a.amount, "right": a.amount}.get(a.direction, 0)
            dy = {"up": -a.amount, "down": a.amount}.get(a.direction, 0)
            if a.element:
                page.evaluate("([id, dx, dy]) => document.querySelector(`[data-al-id=\"${id}\"]`).scrollBy(dx, dy)",
                              [a.element, dx, dy])
            else:
                page.evaluate("([dx, dy]) => window.scrollBy(dx, dy)", [dx, dy])
        elif name == "press":
            if a.element:
                el = self._el(a.element)
                page.locator(f'[data-al-id="{a.element}"]').focus()
            page.keyboard.press(a.key)
        elif name == "drag":
            src, dst = self._el(a.element), self.page.evaluate(LOCATE_JS, a.target)
            if not dst["found"]:
                raise ActionError("no_element", f"there is no element {a.target} on the page")
            mouse.move(src["cx"], src["cy"])
            mouse.down()
            mouse.move(dst["cx"], dst["cy"], steps=5)
            mouse.up()
        elif name == "goto":
            p = urlsplit(a.url)
            if p.scheme not in ("http", "https"):
                raise ActionError("navigation_blocked", f"{a.url!r}: only http(s) URLs may be opened")
            if not self._allowed(a.url):
                raise ActionError("navigation_blocked",
                                  f"{_origin(a.url)} is not one of this task's origins ({', '.join(sorted(self._sandbox.origins))})")
            page.goto(a.url, wait_until="domcontentloaded")
        elif name == "wait":
            pass  # the settle after every action is the wait

    def _settle(self, url_before: str, bound_ms: int, waiting: bool = False) -> None:
        t0 = time.perf_counter()
        if self.page.url != url_before:
            self.page.wait_for_load_state("domcontentloaded", timeout=self.action_timeout_ms)
        try:
            step_ms = getattr(self.task, "virtual_clock_ms", None)
            if step_ms is not None:  # the page runs on a virtual clock: move it on, by a fixed step
                self.page.clock.run_for(bound_ms if waiting else step_ms)
            elif bound_ms > 0:
                self.page.evaluate(SETTLE_JS, [self.settle[0], bound_ms])
        except Exception as e:  # a navigation replaced the document mid-wait: wait for the new one
            if "Execution context was destroyed" not in str(e):
                raise
            self.page.wait_for_load_state("domcontentloaded", timeout=self.action_timeout_ms)
        self._timings["settle"] = time.perf_counter() - t0

    def _observe(self) -> tuple[dict[str, Any], SceneGraph | None, dict[str, Any]]:
        t0 = time.perf_counter()
        capture = self._start_capture()  # on its way while the snapshot runs
        snap = self._snapshot()
        t1 = time.perf_counter()
        png = self._screenshot(capture)
        t2 = time.perf_counter()
        scene = build_scene(snap)
        t3 = time.perf_counter()
        frame = _decode(png, self.viewport)
        text = fit_text(text_view(scene, self.goal), self.max_text)
        t4 = time.perf_counter()
        timings = {**self._timings, "snapshot": t1 - t0, "screenshot": t2 - t1, "graph": t3 - t2, "decode": t4 - t3}
        self._timings = {}
        extra: dict[str, Any] = {
            InfoKeys.TASK: self.task_name, InfoKeys.TIMINGS: timings,
            "blocked_requests": len(self._sandbox.blocked), "url": snap["url"], "offscreen": snap["offscreen"],
        }
        if self.marks:
            extra["set_of_marks"] = draw_marks(frame, scene)
        return {"screenshot": frame, "text": text}, scene, extra

    def _start_capture(self) -> Any:
        """Ask DevTools for the viewport as PNG, without waiting for it: Playwright's
        `page.screenshot` spends more than the capture itself on waiting for fonts and a stable
        frame, and this way the capture overlaps the snapshot. The caret is hidden by the
        context's style sheet."""
        made = self._made
        if made is None or made.cdp is None:
            return None
        try:
            return start_background(self.page, lambda: made.cdp.send(
                "Page.captureScreenshot", {"format": "png", "optimizeForSpeed": True}))
        except Exception:
            return None

    def _screenshot(self, capture: Any) -> bytes:
        """The capture's PNG. Bounded, because a capture that lands in a navigation may never
        be answered: then Playwright's own screenshot, which has its own timeout."""
        if capture is not None:
            try:
                return base64.b64decode(collect(self.page, capture, timeout=2.0)["data"])
            except Exception:
                pass
        return self.page.screenshot(type="png", caret="initial")

    def _snapshot(self) -> dict[str, Any]:
        sels = list(self.task.irreversible_selectors() or [])
        try:
            return self.page.evaluate(SNAPSHOT_JS, sels)
        except Exception as e:
            if "Execution context was destroyed" not in str(e):
                raise
            self.page.wait_for_load_state("domcontentloaded")
            return self.page.evaluate(SNAPSHOT_JS, sels)

    def _evaluate(self) -> tuple[float, bool, float | None, bool]:
        r = self.task.evaluate(self.page)
        self._last_result = r
        return r.reward, r.success, r.progress, r.terminated

    def _info(self, scene, success, progress, error, error_kind, extra):
        info = super()._info(scene, success, progress, error, error_kind, extra)
        r = getattr(self, "_last_result", None)
        if r is not None:
            info["raw_reward"] = r.raw_reward
            if r.details:
                info["task_details"] = r.details
        return info

    def set_of_marks(self) -> np.ndarray | None:
        """The last screenshot with each element's id drawn at its box (for VLM prompts)."""
        if self._last_obs is None or self._last_scene is None:
            return None
        return draw_marks(self._last_obs["screenshot"], self._last_scene)

    def close(self) -> None:
        futs, self._next = self._next, []
        if self._context is not None:
            # The unused next contexts: closed in the background once they exist (if the
            # browser is gone, so are they, and the background calls just fail).
            browser = self._context.browser
            for fut in futs:
                forget(browser, lambda fut=fut: collect(browser, fut).context.close())
        if self._context is not None:
            try:
                self._context.close()
            except Exception:  # the browser may already be gone
                pass
            self._context = self._made = None
        self.task.close()
        super().close()


def _origin(url: str) -> str:
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc}"


def _decode(png: bytes, viewport: tuple[int, int]) -> np.ndarray:
    # OpenCV decodes a PNG several times faster than Pillow.
    arr = cv2.cvtColor(cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    w, h = viewport
    if arr.shape[:2] != (h, w):  # device scale or a shrunken page: keep the space's shape
        arr = cv2.resize(arr, (w, h), interpolation=cv2.INTER_AREA)
    return arr


def draw_marks(frame: np.ndarray, scene: SceneGraph) -> np.ndarray:
    from PIL import Image, ImageDraw

    img = Image.fromarray(frame)
    d = ImageDraw.Draw(img)
    for n in scene.nodes:
        if not (n.get("clickable") or n.get("editable")):
            continue
        x, y, w, h = n.get("bbox")
        d.rectangle([x, y, x + w, y + h], outline=(255, 0, 0))
        d.rectangle([x, y, x + 6 * len(n.id) + 2, y + 10], fill=(255, 0, 0))
        d.text((x + 1, y - 1), n.id, fill=(255, 255, 255))
    return np.asarray(img)
