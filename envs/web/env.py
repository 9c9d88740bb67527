"""`WebEnv`: a Gymnasium env over Playwright-driven Chromium, one `WebTask` per env.

`WebEnv(task="module:Factory", task_kwargs={...})`: the factory, called with `task_kwargs`,
returns a `WebTask` (`agentloop.envs.web.task`). Each reset opens a fresh browser context on
this thread's long-lived browser (`contexts`), routes every request through the sandbox (only
the task's origins; everything else blocked and counted), lets the task set the page up, and
observes: one DOM snapshot becomes the element graph (`elements`), the screenshot comes from
DevTools (`capture`). Each skill has its executor below, in one `Executors` table; every call
is grounded on the live page first (`grounding`), and after it the page is let settle.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from agentloop.env import SCRIPTED_PLANNER, Evaluation, SkillEnv
from agentloop.envs.web import js
from agentloop.envs.web.browser import release_browser, thread_browser
from agentloop.envs.web.capture import decode, draw_marks, screenshot, start_capture
from agentloop.envs.web.contexts import Contexts, EpisodeContext
from agentloop.envs.web.elements import build_scene, text_view
from agentloop.envs.web.gestures import drag_path, focus, press, set_slider
from agentloop.envs.web.grounding import DESTROYED, browser_errors, landed, locate, option_value, point
from agentloop.envs.web.settle import Settle
from agentloop.envs.web.task import TaskResult, WebTask
from agentloop.errors import ActionError, ErrorKind
from agentloop.plugins import load_object
from agentloop.records import Claim
from agentloop.scene import SceneGraph
from agentloop.skills.web import (
    WEB_SKILLS,
    Check,
    Click,
    ClickAt,
    DoubleClickAt,
    Drag,
    DragArgs,
    DragAt,
    DragAtArgs,
    DragPath,
    DragPathArgs,
    ElementArgs,
    Goto,
    GotoArgs,
    Hover,
    HoverAt,
    PointArgs,
    Press,
    PressArgs,
    Scroll,
    ScrollArgs,
    ScrollAt,
    ScrollAtArgs,
    Select,
    SelectArgs,
    SetValue,
    SetValueArgs,
    Type,
    TypeArgs,
    TypeAt,
    TypeAtArgs,
    Uncheck,
    Wait,
    WaitArgs,
)
from agentloop.skillset import BoundCall, Executors
from agentloop.spaces import SkillSpace, fit_text, observation_space


class PageReport(BaseModel):
    """The web env's own facts about a state, recorded with the step (`Perception.extra`)."""

    url: str = ""
    offscreen: int = Field(default=0, description="visible elements outside the viewport")
    blocked_requests: int = Field(default=0, description="requests the sandbox refused this episode")
    raw_reward: float | None = Field(default=None, description="the page's own reward (MiniWoB)")
    task_details: dict[str, Any] | None = Field(default=None, description="the task's account of its verdict")


class WebEnv(SkillEnv):
    """A web page as an agentloop env: skills act on the element graph's ids, a task judges
    the page (see the module's docstring)."""

    metadata = {"render_modes": ["rgb_array"], SCRIPTED_PLANNER: "agentloop.envs.web.planner:WebPlanner"}
    skillset = WEB_SKILLS

    def __init__(
        self, task: str, task_kwargs: dict[str, Any] | None = None, headless: bool = True,
        viewport: tuple[int, int] = (800, 600), max_text: int = 65536, settle_quiet_ms: int = 30,
        settle_bound_ms: int = 1000, action_timeout_ms: int = 5000, marks: bool = False,
        render_mode: str | None = "rgb_array", ahead: int = 1,
    ):
        """`task`: "module:Factory" of the `WebTask`; `viewport`: (width, height) in CSS pixels;
        `settle_*`: after an action, wait until the DOM is quiet for `settle_quiet_ms`, with no
        scroll, finite animation, short timer or request of the page pending (at most
        `settle_bound_ms`; after `wait(ms)`, `ms` more; see `settle`); `ahead`: how many next
        episodes' contexts to make in the background; `marks`: also put the set-of-marks
        screenshot in `info["set_of_marks"]`."""
        super().__init__(render_mode)
        self.task: WebTask = load_object(task)(**dict(task_kwargs or {}))
        self.headless, self.viewport, self.max_text = headless, (int(viewport[0]), int(viewport[1])), max_text
        self.settle = Settle(settle_quiet_ms, settle_bound_ms, action_timeout_ms)
        self.action_timeout_ms, self.marks = action_timeout_ms, marks
        self.observation_space = observation_space(self.viewport[1], self.viewport[0], max_text)
        self.action_space = SkillSpace(WEB_SKILLS, max_length=1024)
        self._contexts = Contexts(self.task, self.viewport, action_timeout_ms, ahead, look=self._look)
        self._seen = PageReport()
        self._result: TaskResult | None = None
        self._judged = False  # `_result` judges the state `_observe` saw last

    @property
    def task_name(self) -> str:
        return self.task.name

    @property
    def episode(self) -> EpisodeContext:
        """This episode's browser context, page and sandbox (after the first reset)."""
        if self._contexts.current is None:
            raise RuntimeError("the web env has no page before reset()")
        return self._contexts.current

    @property
    def page(self) -> Any:
        """This episode's Playwright `Page`."""
        return self.episode.page

    # ---- episodes ----------------------------------------------------------------------------
    def _reset_world(self, seed: int | None, options: dict[str, Any]) -> str:
        t0 = time.perf_counter()
        browser = thread_browser(self.headless, user=self)
        t1 = time.perf_counter()
        self._contexts.begin(browser)
        t2 = time.perf_counter()
        if seed is None:
            seed = int(self.np_random.integers(0, 2**31 - 1))
        goal = self.task.setup(self.page, seed)
        self.timings.update(browser=t1 - t0, context=t2 - t1, setup=time.perf_counter() - t2)
        return goal

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        obs, info = super().reset(seed=seed, options=options)
        self._contexts.make_ahead()  # the next episodes' contexts, made while this one runs
        return obs, info

    def close(self) -> None:
        try:
            self._contexts.close()
        finally:
            release_browser(self)  # the thread's last env stops the browser and its Playwright
            self.task.close()
            super().close()

    # ---- acting ------------------------------------------------------------------------------
    def _execute(self, call: BoundCall) -> None:
        url_before = self.page.url
        # `wait(ms)` lets at least `ms` of page time pass, then settles like any action.
        at_least = call.args.ms if isinstance(call.args, WaitArgs) else None
        with browser_errors(call.call.name):
            try:
                super()._execute(call)
            except ActionError as e:
                if e.acted:  # it did reach the page: what it set off settles as usual
                    self._settle(url_before, at_least)
                raise
            self._settle(url_before, at_least)

    def _settle(self, url_before: str, at_least_ms: int | None) -> None:
        """Let the page settle after an action (`settle`); after `wait(ms)`, `at_least_ms` is its `ms`."""
        t0 = time.perf_counter()
        self.settle.after(self.episode, url_before, at_least_ms, getattr(self.task, "virtual_clock_ms", None))
        self.timings["settle"] = time.perf_counter() - t0

    def _locator(self, eid: str) -> Any:
        return self.page.locator(f'[data-al-id="{eid}"]')

    def _click(self, args: ElementArgs) -> None:
        press(self.page, args.element, locate(self.page, args.element, aim=True))

    def _hover(self, args: ElementArgs) -> None:
        el = locate(self.page, args.element)
        self.page.mouse.move(el.x, el.y)

    def _type(self, args: TypeArgs) -> None:
        locate(self.page, args.element, editable=True)
        self._locator(args.element).fill(args.text)

    def _select(self, args: SelectArgs) -> None:
        el = locate(self.page, args.element)
        if el.tag != "select":
            raise ActionError(ErrorKind.BAD_ARGUMENT, f"element {args.element} is a {el.tag}, not a drop-down list")
        loc = self._locator(args.element)
        found = loc.evaluate(js.SELECT_OPTIONS)
        wanted = [args.option] if isinstance(args.option, str) else args.option
        if len(wanted) != 1 and not found["multiple"]:
            raise ActionError(ErrorKind.BAD_ARGUMENT, f"element {args.element} takes one option, not {len(wanted)}",
                              acted=el.scrolled)
        values = [option_value(found["options"], args.element, o) for o in wanted]
        loc.select_option(value=values if isinstance(args.option, list) else values[0])

    def _tick(self, args: ElementArgs, checked: bool) -> None:
        el = locate(self.page, args.element, aim=True)
        if el.type not in ("checkbox", "radio"):
            raise ActionError(ErrorKind.BAD_ARGUMENT, f"element {args.element} is not a checkbox or radio button",
                              acted=el.scrolled)
        if el.checked != checked:
            press(self.page, args.element, el)

    def _check(self, args: ElementArgs) -> None:
        self._tick(args, True)

    def _uncheck(self, args: ElementArgs) -> None:
        self._tick(args, False)

    def _scroll(self, args: ScrollArgs) -> None:
        dx = {"left": -args.amount, "right": args.amount}.get(args.direction, 0)
        dy = {"up": -args.amount, "down": args.amount}.get(args.direction, 0)
        if self.page.evaluate(js.SCROLL, [args.element, dx, dy]) is None:
            raise ActionError(ErrorKind.NO_ELEMENT, f"there is no element {args.element} on the page")

    def _press(self, args: PressArgs) -> None:
        if args.element:  # focus only: no click, so none of a click's visibility or cover checks
            locate(self.page, args.element, reachable=False)
            focus(self.page, args.element)
        self.page.keyboard.press(args.key)

    def _drag(self, args: DragArgs) -> None:
        dst = locate(self.page, args.target, reachable=False)
        src = locate(self.page, args.element, aim=True)
        mouse = self.page.mouse
        mouse.move(src.x, src.y)
        mouse.down()
        landed(self.page, args.element, src)  # a drag that picked up something else goes no further
        mouse.move(dst.x, dst.y, steps=5)
        mouse.up()

    def _goto(self, args: GotoArgs) -> None:
        real = getattr(self.task, "real_url", None)  # a URL as shown, on the task's fixed origin
        url = real(args.url) if real is not None else args.url
        self.episode.sandbox.check(url)
        self.page.goto(url, wait_until="domcontentloaded")

    def _wait(self, args: WaitArgs) -> None:
        return None  # the settle after it is the wait (`_execute`)

    # ---- pixel skills: a point of the screenshot (= the viewport's CSS pixels) ----------------
    def _click_at(self, args: PointArgs) -> None:
        point(self.page, args.x, args.y)
        self.page.mouse.click(args.x, args.y)

    def _double_click_at(self, args: PointArgs) -> None:
        point(self.page, args.x, args.y)
        self.page.mouse.dblclick(args.x, args.y)

    def _hover_at(self, args: PointArgs) -> None:
        point(self.page, args.x, args.y)
        self.page.mouse.move(args.x, args.y)

    def _type_at(self, args: TypeAtArgs) -> None:
        what = point(self.page, args.x, args.y)
        self.page.mouse.click(args.x, args.y)
        if not self.page.evaluate(js.SELECT_FOCUSED):
            raise ActionError(ErrorKind.NOT_EDITABLE, f"the click at ({args.x:g}, {args.y:g}) reached {what}, "
                              "which takes no text", acted=True)
        # Key by key, as a person types: pages that listen for keys (autocompletes) see them.
        self.page.keyboard.type(args.text)

    def _scroll_at(self, args: ScrollAtArgs) -> None:
        point(self.page, args.x, args.y)
        dx = {"left": -args.amount, "right": args.amount}.get(args.direction, 0)
        dy = {"up": -args.amount, "down": args.amount}.get(args.direction, 0)
        self.page.mouse.move(args.x, args.y)
        self.page.mouse.wheel(dx, dy)

    def _drag_at(self, args: DragAtArgs) -> None:
        point(self.page, args.x, args.y)
        w, h = self.viewport
        if not (0 <= args.to_x < w and 0 <= args.to_y < h):
            raise ActionError(ErrorKind.OFF_SCREEN, f"({args.to_x:g}, {args.to_y:g}) is outside the screenshot ({w}x{h} pixels)")
        mouse = self.page.mouse
        mouse.move(args.x, args.y)
        mouse.down()
        mouse.move(args.to_x, args.to_y, steps=5)
        mouse.up()

    def _set_value(self, args: SetValueArgs) -> None:
        set_slider(self.page, args.element, args.value)

    def _drag_path(self, args: DragPathArgs) -> None:
        drag_path(self.page, args.points, self.viewport)

    executors = Executors(WEB_SKILLS, {
        Click: _click, Type: _type, Select: _select, Check: _check, Uncheck: _uncheck,
        Hover: _hover, Scroll: _scroll, Press: _press, Drag: _drag, Goto: _goto, Wait: _wait,
        ClickAt: _click_at, DoubleClickAt: _double_click_at, HoverAt: _hover_at, TypeAt: _type_at,
        ScrollAt: _scroll_at, DragAt: _drag_at, DragPath: _drag_path, SetValue: _set_value,
    })

    # ---- perceiving --------------------------------------------------------------------------
    def _observe(self) -> tuple[dict[str, Any], SceneGraph]:
        t0 = time.perf_counter()
        seen, self.episode.seen = self.episode.seen, None
        if seen is not None and seen[0]["url"] == self.page.url:  # taken ahead, of this very page
            (snap, png), t1 = seen, t0
        else:
            snap, png, t1 = self._look_parsed()
        t2 = time.perf_counter()
        shown = getattr(self.task, "shown_url", None)  # the URL as records show it (no server port)
        if shown is not None:
            snap = {**snap, "url": shown(snap["url"])}
        # The task's verdict on this very state: whether its episode is over is in the graph.
        self._result, self._judged = self.task.evaluate(self.page), True
        scene = build_scene(snap, ended=self._result.terminated)
        t3 = time.perf_counter()
        frame = decode(png, self.viewport)
        text = fit_text(text_view(scene, self.goal), self.max_text)
        self.timings.update(snapshot=t1 - t0, screenshot=t2 - t1, graph=t3 - t2, decode=time.perf_counter() - t3)
        self._seen = PageReport(url=snap["url"], offscreen=snap["offscreen"])
        return {"screenshot": frame, "text": text}, scene

    def _look_parsed(self, tries: int = 3) -> tuple[dict[str, Any], bytes, float]:
        """The snapshot, screenshot and the snapshot's end, of a parsed page: on a loaded machine a
        form's answer can land between the settle and the snapshot, which then reads it half-parsed;
        looked at again once it is in, the same actions see the same page however slow the machine."""
        capture = start_capture(self.page, self.episode.cdp)  # on its way while the snapshot runs
        snap = self._snapshot(self.page)
        t1 = time.perf_counter()
        png = screenshot(self.page, capture)
        navigations = self.episode.navigations
        arriving = not snap.get("parsed", True) or (navigations is not None and bool(navigations.pending))
        if arriving and tries > 1:
            self.page.wait_for_load_state("domcontentloaded", timeout=self.action_timeout_ms)
            self._settle(self.page.url, None)  # and any navigation still under way
            return self._look_parsed(tries - 1)
        return snap, png, t1

    def _look(self, ep: EpisodeContext) -> tuple[dict[str, Any], bytes]:
        """A page's DOM snapshot and screenshot, as `_observe` takes them (for a page made ahead)."""
        capture = start_capture(ep.page, ep.cdp)
        return self._snapshot(ep.page), screenshot(ep.page, capture)

    def _snapshot(self, page: Any) -> dict[str, Any]:
        chrome = getattr(self.task, "chrome_selectors", None)
        arg = {"irreversible": list(self.task.irreversible_selectors() or []),
               "chrome": list(chrome() or []) if chrome is not None else []}
        try:
            return page.evaluate(js.SNAPSHOT, arg)
        except Exception as e:
            if DESTROYED not in str(e):
                raise
            page.wait_for_load_state("domcontentloaded")
            return page.evaluate(js.SNAPSHOT, arg)

    def _evaluate(self) -> Evaluation:
        if not self._judged or self._result is None:  # no observation since the action: judge now
            self._result = self.task.evaluate(self.page)
        r, self._judged = self._result, False
        return Evaluation(r.reward, r.success, r.progress, r.terminated)

    def judge_claim(self, claim: Claim) -> Evaluation | None:
        judge = getattr(self.task, "judge_claim", None)  # only a task that asks a question has one
        if judge is None:
            return None
        r = judge(claim)
        return Evaluation(r.reward, r.success, r.progress, True)

    def _report(self) -> dict[str, Any]:
        r = self._result
        report = self._seen.model_copy(update={
            "blocked_requests": len(self.episode.sandbox.blocked),
            "raw_reward": r.raw_reward if r is not None else None,
            "task_details": r.details if r is not None and r.details else None,
        })
        return report.model_dump(mode="json", exclude_none=True)

    def _annex(self) -> dict[str, Any]:
        return {"set_of_marks": self.set_of_marks()} if self.marks else {}

    def set_of_marks(self) -> np.ndarray | None:
        """The last screenshot with each element's id drawn at its box (for VLM prompts)."""
        if self._last_obs is None or self._last_scene is None:
            return None
        return draw_marks(self._last_obs["screenshot"], self._last_scene)
