"""Finding Chromium and keeping one browser per worker thread across episodes.

Sync Playwright is bound to the thread that started it, so the browser lives in a
thread-local; each episode gets a fresh `BrowserContext` from it, which is what makes
`reset()` cheap (a context is milliseconds, a browser launch is hundreds).
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from typing import Any

from agentloop.errors import ConfigError

LAUNCH_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
ENV_VAR = "AGENTLOOP_CHROMIUM"


def find_chromium() -> str | None:
    """The Chromium to drive: $AGENTLOOP_CHROMIUM, Debian's, or None (use Playwright's own)."""
    for cand in (os.environ.get(ENV_VAR), "/usr/bin/chromium", shutil.which("chromium"),
                 shutil.which("chromium-browser"), shutil.which("google-chrome")):
        if cand and Path(cand).exists():
            return cand
    return None


def _playwright_has_own_browser() -> bool:
    root = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH", Path.home() / ".cache/ms-playwright"))
    return root.exists() and any(p.name.startswith(("chromium", "chromium_headless")) for p in root.iterdir())


_local = threading.local()


def thread_browser(headless: bool = True) -> Any:
    """This thread's browser, launched on first use and kept until the thread ends."""
    browser = getattr(_local, "browser", None)
    if browser is not None and browser.is_connected():
        return browser
    exe = find_chromium()
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


def close_thread_browser() -> None:
    browser, pw = getattr(_local, "browser", None), getattr(_local, "pw", None)
    if browser is not None:
        try:
            browser.close()
        except Exception:  # already gone with its process
            pass
    if pw is not None:
        pw.stop()
    _local.browser = _local.pw = None
