"""The scripts the web env runs in the page, one `.js` file each beside this module, read once
at import. Each file's leading `//` lines say what it does; each is a function expression that
Playwright calls with its argument (`hide_caret.js` is a plain script, run in every document; so is `hooks.js`, called with
its argument by `hooks_script`)."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).parent


def _load(name: str) -> str:
    return (_HERE / f"{name}.js").read_text(encoding="utf-8")


SETTLE = _load("settle")
HOOKS = _load("hooks")
HIDE_CARET = _load("hide_caret")
LOCATE = _load("locate")
HIT = _load("hit")
UNDER = _load("under")
POINT = _load("point")
SELECT_FOCUSED = _load("select_focused")
SNAPSHOT = _load("snapshot")
SELECT_OPTIONS = _load("select_options")
SCROLL = _load("scroll")
SLIDER = _load("slider")
MINIWOB_START = _load("miniwob_start")
MINIWOB_PRELOAD = _load("miniwob_preload")
MINIWOB_STATE = _load("miniwob_state")


def hooks_script(timers: bool) -> str:
    """`hooks.js` as a script for every document of a context; `timers`: keep count of the
    page's short timers too (not on a virtual clock, which replaces them)."""
    return f"({HOOKS})({'true' if timers else 'false'});"
