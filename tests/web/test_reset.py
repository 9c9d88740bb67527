"""Reset keeps its contract while it prepares the next episode's context in the background:
every episode gets a context no earlier episode touched, one browser serves them all, and
closed contexts do not pile up."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest

from agentloop.envs.web.browser import (
    ENV_VAR,
    collect,
    find_chromium,
    release_browser,
    start_background,
    thread_browser,
)
from agentloop.envs.web.capture import decode
from agentloop.envs.web.env import WebEnv
from agentloop.perception import perception_of


@pytest.fixture(scope="module")
def env():
    e = WebEnv(task="tests.web.pages:make", viewport=(320, 240))
    yield e
    e.close()


def test_every_episode_gets_a_fresh_context(env):
    env.reset(seed=0)
    first, browser = env.page.context, env.page.context.browser
    env.page.evaluate("() => { localStorage.setItem('left', 'over'); document.cookie = 'c=1'; }")
    env.step("wait(ms=0)")
    _, info = env.reset(seed=0)
    assert env.page.context is not first and env.page.context.browser is browser
    assert env.page.evaluate("() => [localStorage.getItem('left'), document.cookie]") == [None, ""]
    # this episode's tracker image only, none carried over
    assert perception_of(info).extra["blocked_requests"] == 1
    for seed in range(4):
        env.reset(seed=seed)
        env.step("wait(ms=0)")
    # The current context, the next one, and at most one still closing.
    assert len(browser.contexts) <= 3


def _descendant_executables() -> set[str]:
    """What this process's descendants run (Playwright's driver, and the browser it launched)."""
    out = set()
    for proc in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):  # gone meanwhile
            out.update(proc.cmdline()[:1])
    return out


def test_headless_runs_drive_the_headless_shell_where_it_is_installed(env, monkeypatch):
    if os.environ.get(ENV_VAR):
        pytest.skip(f"${ENV_VAR} names the browser this run drives")
    monkeypatch.delenv(ENV_VAR, raising=False)
    full, headless = find_chromium(headless=False), find_chromium(headless=True)
    assert "headless-shell" not in (full or "")  # a window needs the full browser
    env.reset(seed=0)
    ran = _descendant_executables()
    if shutil.which("chromium-headless-shell"):
        assert headless is not None and "headless-shell" in headless
        assert any(exe.endswith("/chromium-headless-shell") for exe in ran), ran
    else:  # the full browser, as before there was a shell to prefer
        assert headless == full
        assert not any("headless-shell" in exe for exe in ran), ran
    if full is not None:  # the variable names the browser, whichever mode
        monkeypatch.setenv(ENV_VAR, full)
        assert find_chromium(headless=True) == full


def test_screenshot_matches_playwright_and_hides_the_caret(env):
    import numpy as np

    _, info = env.reset(seed=0)
    name = next(n for n in perception_of(info).scene_graph.nodes if n.get("dom_id") == "name")
    obs, _, _, _, _ = env.step(f'click(element="{name.id}")')
    assert env.page.evaluate("() => document.activeElement.id") == "name"
    theirs = decode(env.page.screenshot(type="png"), env.viewport)  # Playwright hides the caret
    assert np.array_equal(obs["screenshot"], theirs)


def test_background_calls_return_and_raise():
    holder = Holder()
    browser = thread_browser(user=holder)
    try:
        ok = start_background(browser, lambda: browser.version)
        bad = start_background(browser, lambda: browser.new_context(storage_state="/no/such/state.json"))
        assert collect(browser, ok) == browser.version
        with pytest.raises(Exception, match=r"/no/such/state\.json"):
            collect(browser, bad)
    finally:
        release_browser(holder)


class Holder:
    """Someone who holds the thread's browser, as an env does."""


def test_the_last_env_to_close_stops_the_browser_and_its_event_loop():
    # On a thread of its own, as the runner's workers and the server's lanes are: no other env
    # of this module holds that thread's browser.
    with ThreadPoolExecutor(1) as pool:
        connected, loop_after, ran = pool.submit(_two_envs_one_browser).result(timeout=240)
    assert connected == [True, False]  # kept while one env holds it, stopped with the last
    # Sync Playwright marks its event loop as running in its thread while it runs: stopped, it
    # no longer does, and asyncio works there again.
    assert loop_after is None and ran == "ran"


def _two_envs_one_browser() -> tuple[list[bool], object, str]:
    a, b = (WebEnv(task="tests.web.pages:make", viewport=(320, 240)) for _ in range(2))
    try:
        a.reset(seed=0)
        b.reset(seed=0)
        browser = a.page.context.browser
        assert b.page.context.browser is browser
        a.close()
        connected = [browser.is_connected() and b.page.evaluate("() => 1 + 1") == 2]
        b.close()
        connected.append(browser.is_connected())
    finally:
        a.close()
        b.close()
    return connected, asyncio._get_running_loop(), asyncio.run(asyncio.sleep(0, "ran"))
