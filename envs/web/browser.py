"""Finding Chromium, keeping one browser per worker thread across episodes, and running
Playwright calls in the background.

Sync Playwright is bound to the thread that started it, and one thread can run only one
sync Playwright at a time, so the browser lives in a thread-local that every env on the thread
shares; each episode gets a fresh `BrowserContext` from it, which is what makes `reset()` cheap
(a context is milliseconds, a browser launch is hundreds). The envs that use it hold it
(`thread_browser(user=env)`) and let go when they close (`release_browser`); the last one to
let go stops the browser and the thread's Playwright. Left running, sync Playwright keeps its
asyncio event loop marked as running in the thread, and any later `asyncio.run()` there fails.

`start_background` / `collect` let a sync-API caller overlap browser work with its own: the
call runs in a greenlet of Playwright's dispatcher (as Playwright runs route handlers), its
requests go out at once, and it makes progress whenever the caller next talks to the browser.
The browser's processes do the heavy part (a new renderer, a screenshot) in parallel. This
leans on two attributes of Playwright's sync objects, `_loop` and `_sync`, which every release
since 1.8 has (the version this package requires is newer).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import greenlet

from agentloop.errors import ConfigError

LAUNCH_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
ENV_VAR = "AGENTLOOP_CHROMIUM"


def find_chromium(headless: bool = True) -> str | None:
    """The Chromium to drive: $AGENTLOOP_CHROMIUM; headless, Debian's headless shell if it is
    installed; then Debian's browser; else None (use Playwright's own).

    The headless shell is Chromium's old headless mode, what Playwright itself runs for
    headless Chromium. The full browser's headless mode builds a whole browser window for every
    page: about five times the browser's CPU per new page (~220 ms against ~45 ms here), and a
    fresh page per episode is most of a reset's work."""
    shell = ("/usr/bin/chromium-headless-shell", shutil.which("chromium-headless-shell")) if headless else ()
    for cand in (os.environ.get(ENV_VAR), *shell, "/usr/bin/chromium", shutil.which("chromium"),
                 shutil.which("chromium-browser"), shutil.which("google-chrome")):
        if cand and Path(cand).exists():
            return cand
    return None


def _playwright_has_own_browser() -> bool:
    root = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH", Path.home() / ".cache/ms-playwright"))
    return root.exists() and any(p.name.startswith(("chromium", "chromium_headless")) for p in root.iterdir())


_local = threading.local()


def thread_browser(headless: bool = True, user: object | None = None) -> Any:
    """This thread's browser, launched on first use; `user` (an env) holds it until it calls
    `release_browser`. A caller that names no user holds nothing: the browser lasts while others do."""
    if user is not None:
        _holders().add(user)
    browser = getattr(_local, "browser", None)
    if browser is not None and browser.is_connected():
        return browser
    exe = find_chromium(headless)
    if exe is None and not _playwright_has_own_browser():
        raise ConfigError(
            "no Chromium found: install one with `apt-get install chromium` or "
            "`python -m playwright install chromium` (or set $AGENTLOOP_CHROMIUM)"
        )
    from playwright.sync_api import sync_playwright

    if getattr(_local, "pw", None) is None:
        _local.pw = sync_playwright().start()
    args = [f for f in LAUNCH_FLAGS if headless or f != "--headless"]
    _local.browser = _local.pw.chromium.launch(executable_path=exe, headless=headless, args=args)
    return _local.browser


def release_browser(user: object) -> None:
    """`user` no longer needs this thread's browser; once no one holds it, stop the browser
    and the thread's Playwright (and with it the event loop it keeps running here)."""
    holders = _holders()
    if user not in holders:  # never held it (an env closed before its first reset)
        return
    holders.discard(user)
    if holders:
        return
    browser, _local.browser = getattr(_local, "browser", None), None
    pw, _local.pw = getattr(_local, "pw", None), None
    # Closing what may already be gone (a crashed browser, a driver that exited): nothing to keep.
    if browser is not None:
        with contextlib.suppress(Exception):
            browser.close()
    if pw is not None:
        with contextlib.suppress(Exception):
            pw.stop()


def _holders() -> weakref.WeakSet[object]:
    """Who holds this thread's browser: weakly, so an env dropped without `close` lets go too."""
    holders = getattr(_local, "holders", None)
    if holders is None:
        holders = _local.holders = weakref.WeakSet()
    return holders


T = TypeVar("T")


async def _ticks(n: int) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


async def _await(fut: asyncio.Future[Any]) -> Any:
    return await fut


def start_background(owner: Any, fn: Callable[[], T]) -> asyncio.Future[T]:
    """Run `fn` (which makes sync Playwright calls) concurrently with the caller; `owner` is
    any sync Playwright object of the same connection. Collect the result with `collect`."""
    loop: asyncio.AbstractEventLoop = owner._loop
    fut: asyncio.Future[T] = loop.create_future()

    def body() -> None:
        try:
            result = fn()
        except BaseException as e:  # handed to whoever collects it
            if not fut.done():
                fut.set_exception(e)
            return
        if not fut.done():
            fut.set_result(result)

    # Started from inside the dispatcher, the greenlet returns there whenever it waits.
    loop.call_soon(lambda: greenlet.greenlet(body).switch())
    # A few turns of the loop, so that fn's first request is on its way before we return.
    owner._sync(_ticks(3))
    return fut


def collect(owner: Any, fut: asyncio.Future[T], timeout: float | None = None) -> T:
    """Wait for a `start_background` call and return its result (or raise its error); after
    `timeout` seconds, raise `TimeoutError` (the call is cancelled, as far as it can be)."""
    if not fut.done():
        if timeout is None:
            owner._sync(_await(fut))
        else:
            owner._sync(_await_for(fut, timeout))
    return fut.result()


async def _await_for(fut: asyncio.Future[Any], timeout: float) -> None:
    try:
        await asyncio.wait_for(asyncio.shield(fut), timeout)
    except asyncio.TimeoutError:
        fut.cancel()
        raise TimeoutError(f"no answer from the browser in {timeout:g} s") from None


def forget(owner: Any, fn: Callable[[], Any]) -> None:
    """Run `fn` in the background and ignore its outcome (closing what is no longer needed)."""
    try:
        fut = start_background(owner, fn)
    except Exception:  # the connection is already gone: nothing left to close
        return
    fut.add_done_callback(lambda f: f.cancelled() or f.exception())
