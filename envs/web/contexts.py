"""Each episode's browser context, and the next ones made ahead of time.

A new context and page cost a renderer process (hundreds of ms on a busy machine), the largest
part of a reset. So after each reset the next episode's context and page are made in the
background (never used before, so still fresh), with the task's `prepare(page)` done on them,
and the old context is closed in the background too.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agentloop.envs.web import js
from agentloop.envs.web.browser import collect, forget, start_background
from agentloop.envs.web.grounding import Sandbox
from agentloop.envs.web.task import WebTask

CLOSE_WAIT_S = 30.0  # at most this long for a context made ahead to be ready to close


class Navigations:
    """The page's main-frame navigations under way: started (a request for a document) and not
    yet parsed (`domcontentloaded`) or failed. An action that submits a form starts one whose
    response may come after the action's settle; the look that follows waits for it, so the
    same actions always see the same page (never the old one, or the new one half-parsed).

    And the page's other requests under way (`loading`): an image an action revealed (an icon
    drawn by CSS `content: url(...)` has no size until it arrives) is fetched through the task's
    route, which on a loaded machine answers later than the page goes quiet; the settle waits
    for those started since the last settle (`since_settled`; one that outlives a settle, a long
    poll, is not waited for again), so a look never depends on how fast the files came."""

    def __init__(self, page: Any):
        self.page = page
        self.pending: set[Any] = set()
        self.loading: set[Any] = set()
        page.on("request", self._started)
        page.on("requestfinished", lambda request: self.loading.discard(request))
        page.on("requestfailed", self._failed)
        page.on("domcontentloaded", lambda _: self.pending.clear())

    def _started(self, request: Any) -> None:
        self.loading.add(request)
        if request.is_navigation_request() and request.frame == self.page.main_frame:
            self.pending.discard(request.redirected_from)  # a redirect goes on as the same navigation
            self.pending.add(request)

    def _failed(self, request: Any) -> None:
        self.pending.discard(request)
        self.loading.discard(request)

    def since_settled(self) -> None:
        """The page has settled: requests under way now are not waited for again."""
        self.loading.clear()

    def wait(self, timeout_ms: int) -> bool:
        """Wait (at most `timeout_ms`) until no navigation is under way; whether one was."""
        return self._wait(self.pending, timeout_ms) is not None

    def wait_loads(self, timeout_ms: int) -> bool:
        """Wait (at most `timeout_ms`) until no request of the page is under way; whether some
        were and all have landed (one that never ends, a long poll, is left after the wait)."""
        return self._wait(self.loading, timeout_ms) is True

    def _wait(self, under_way: set[Any], timeout_ms: int) -> bool | None:
        """None when nothing was under way, else whether it all ended within `timeout_ms`."""
        if not under_way:
            return None
        end = time.monotonic() + timeout_ms / 1000
        while under_way and time.monotonic() < end:
            self.page.wait_for_timeout(5)  # events (a response's arrival) are handled meanwhile
        return not under_way


@dataclass
class EpisodeContext:
    """One episode's browser state: its context, page, sandbox and DevTools session."""

    context: Any  # playwright BrowserContext
    page: Any
    sandbox: Sandbox
    cdp: Any = None  # a DevTools session on the page (screenshots)
    navigations: Navigations | None = None
    seen: Any = None  # the page's first look (DOM snapshot, PNG), taken ahead: see `WebTask.ready_when_prepared`


class Contexts:
    """The current episode's context and the next ones, made in the background."""

    def __init__(self, task: WebTask, viewport: tuple[int, int], timeout_ms: int, ahead: int = 1,
                 look: Callable[[EpisodeContext], Any] | None = None):
        self.task, self.viewport, self.timeout_ms, self.ahead = task, viewport, timeout_ms, ahead
        self.look = look  # how the env looks at a page: used ahead on a page its task has made ready
        self.current: EpisodeContext | None = None
        self._next: list[asyncio.Future[EpisodeContext]] = []

    def open(self, browser: Any) -> EpisodeContext:
        """A fresh context with its sandbox and its page: all of an episode's browser state that
        does not depend on the seed."""
        context = browser.new_context(
            viewport={"width": self.viewport[0], "height": self.viewport[1]},
            accept_downloads=False, service_workers="block",
        )
        context.set_default_timeout(self.timeout_ms)
        sandbox = Sandbox()
        # Independent of each other, so sent together: fewer round trips one after another.
        hooks = js.hooks_script(timers=getattr(self.task, "virtual_clock_ms", None) is None)
        pending = [start_background(browser, lambda: context.add_init_script(js.HIDE_CARET + "\n" + hooks)),
                   # Routes registered later take precedence: tasks add their own (serving files).
                   start_background(browser, lambda: context.route("**/*", sandbox))]
        page = context.new_page()
        cdp_session = start_background(browser, lambda: context.new_cdp_session(page))
        for fut in pending:
            collect(browser, fut)
        cdp = collect(browser, cdp_session)
        context.on("page", lambda p: p is not page and p.close())  # popups are not the task's world
        sandbox.origins.update(o.rstrip("/") for o in self.task.origins())
        sandbox.shown = getattr(self.task, "shown_url", sandbox.shown)
        prepare = getattr(self.task, "prepare", None)
        if prepare is not None:  # what the task does alike for every episode (load its page)
            try:
                prepare(page)
            except Exception:
                forget(browser, context.close)
                raise
        made = EpisodeContext(context, page, sandbox, cdp, Navigations(page))
        if self.look is not None and getattr(self.task, "ready_when_prepared", False):
            made.seen = self.look(made)  # the reset's first observation, off the reset's path
        return made

    def begin(self, browser: Any) -> EpisodeContext:
        """Retire the last episode's context and hand out a fresh one: made ahead if one is
        ready and still usable, else made now."""
        old, self.current = self.current, None
        if old is not None and old.context.browser is browser:
            forget(browser, old.context.close)  # nothing waits on it: close in the background
        self.current = self._take_next(browser) or self.open(browser)
        return self.current

    def _take_next(self, browser: Any) -> EpisodeContext | None:
        if not self._next:
            return None
        fut = self._next.pop(0)
        try:
            made = collect(browser, fut)
        except Exception:  # the browser went away meanwhile: the caller makes a new one
            return None
        if made.context.browser is not browser or made.page.is_closed():
            forget(browser, made.context.close)
            return None
        return made

    def make_ahead(self) -> None:
        """Start making the next episodes' contexts, while this one runs."""
        if self.current is None:
            return
        browser = self.current.context.browser
        while len(self._next) < self.ahead:
            self._next.append(start_background(browser, lambda: self.open(browser)))

    def close(self) -> None:
        """Close every context, the ones made ahead once they are made: waited for here, since
        the browser may close next (the thread's last env stops it), and calls still under way
        would then fail with no one to hear them. If the browser is gone, so are they."""
        futs, self._next = self._next, []
        current, self.current = self.current, None
        if current is None:
            return
        browser = current.context.browser
        for fut in futs:
            with contextlib.suppress(Exception):  # made or failed, it goes with the env
                if browser.is_connected():  # a dead browser answers nothing: waiting would hang
                    collect(browser, fut, timeout=CLOSE_WAIT_S).context.close()
        with contextlib.suppress(Exception):  # the browser may already be gone
            current.context.close()
