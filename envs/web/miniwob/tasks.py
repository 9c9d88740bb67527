"""MiniWoB++ tasks as `WebTask`s, served from the installed `miniwob` package's HTML folder.

Pages are answered by Playwright route interception on a made-up origin
(`http://miniwob.local`), so no server runs and nothing leaves the machine. The page's own
10 s episode timer is switched off (set to the largest timeout a browser accepts, and its
once-a-second countdown display stopped, so a frame does not depend on when it is taken). The
env reward is the page's raw reward (see `evaluate`), success is the raw reward reaching 1
(partial credit counts as progress).
"""

from __future__ import annotations

import json
import mimetypes
from functools import lru_cache
from pathlib import Path
from typing import Any

from agentloop.envs.web import js
from agentloop.envs.web.task import TaskResult

ORIGIN = "http://miniwob.local"
_NO_TIMER = 2**31 - 1  # setTimeout's maximum; anything larger fires at once


@lru_cache(maxsize=1)
def html_root() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("miniwob")
    if spec is None or spec.origin is None:
        raise ImportError("the `miniwob` package is not installed: pip install miniwob")
    return Path(spec.origin).parent / "html"


def task_names() -> list[str]:
    """Every bundled MiniWoB++ task (the file names under html/miniwob), found without imports."""
    return sorted(p.stem for p in (html_root() / "miniwob").glob("*.html"))


# The scripts and style sheets most pages share are put inline into the page, so loading a
# task is one request instead of four to eight (each a round trip through the request
# router). Only files that do not locate anything relative to their own URL (no `url(...)`,
# no `currentScript`) and cannot end an inline <script> early.
INLINE = ("core/core.css", "core/core.js", "core/d3.v3.min.js", "common/ui_utils.js",
          "core/jquery-ui/external/jquery/jquery.js", "core/jquery-ui/jquery-ui.min.js",
          "common/shapes.js", "core/jquery-ui-hacks.js")


@lru_cache(maxsize=512)
def _file(path: str) -> tuple[bytes, str] | None:
    """A file of the HTML folder and its content type, read once per process."""
    root = html_root().resolve()
    f = (root / path).resolve()
    if root not in f.parents or not f.is_file():
        return None
    ctype = mimetypes.guess_type(f.name)[0] or "application/octet-stream"
    if ctype.startswith("text/") or ctype.endswith("javascript"):
        # The bundled files are UTF-8 but (all but one) say no charset; without one the
        # browser decodes them as windows-1252 and non-ASCII text turns to mojibake.
        ctype += "; charset=utf-8"
    return f.read_bytes(), ctype


@lru_cache(maxsize=256)
def _inlined(path: str) -> bytes:
    """The task page with its shared scripts and style sheets inline."""
    html = _file(path)[0].decode("utf-8")  # type: ignore[index]
    base = path.rsplit("/", 1)[0]
    for rel in INLINE:
        found = _file(rel)
        if found is None:
            continue
        text = found[0].decode("utf-8")
        if "</script" in text.lower() or "url(" in text or "currentScript" in text:
            continue
        src = f"../{rel}" if base == "miniwob" else rel
        if rel.endswith(".css"):
            for tag in (f'<link rel="stylesheet" type="text/css" href="{src}">', f'<link rel="stylesheet" href="{src}">'):
                html = html.replace(tag, f"<style>/* {rel} */\n{text}\n</style>")
        else:
            html = html.replace(f'<script src="{src}"></script>', f"<script>/* {rel} */\n{text}\n</script>")
    return html.encode("utf-8")


# Pages that move with time (animations, tickers). On the wall clock two resets with the same
# seed would show different frames, so these run on a virtual clock (Playwright's `page.clock`):
# paused, and moved on by a fixed step after every action (or by `wait(ms)`), which makes an
# episode a function of its seed and actions, as Gymnasium's determinism checks expect.
VIRTUAL_CLOCK = {"chase-circle", "click-pie", "stock-market"}
CLOCK_EPOCH_S = 1_700_000_000  # the pages' "now" at the start, in seconds (any fixed time will do)
SIDE_PANEL = ("#reward-display", "#click-canvas")  # hidden: see `prepare`
CLOCK_STEP_MS = 100  # virtual time that passes with each action


class MiniWoBTask:
    """One bundled MiniWoB++ page as a `WebTask` (see the module's docstring)."""

    def __init__(self, task: str):
        if not (html_root() / "miniwob" / f"{task}.html").exists():
            import difflib

            close = difflib.get_close_matches(task, task_names(), n=1)
            raise ValueError(f"no MiniWoB task {task!r}" + (f"; did you mean {close[0]!r}?" if close else ""))
        self.task = task
        self.name = f"miniwob.{task}"
        self.url = f"{ORIGIN}/miniwob/{task}.html"
        # Milliseconds of virtual time per action (`WebEnv` moves the clock), or None: wall clock.
        self.virtual_clock_ms: int | None = CLOCK_STEP_MS if task in VIRTUAL_CLOCK else None

    def origins(self) -> list[str]:
        return [ORIGIN]

    def irreversible_selectors(self) -> list[str]:
        return []

    def chrome_selectors(self) -> list[str]:
        """The page's own furniture, outside the task: the reward display and its click canvas."""
        return [*SIDE_PANEL, "#sync-task-cover"]

    def _serve(self, route: Any) -> None:
        path = route.request.url[len(ORIGIN):].split("?", 1)[0].lstrip("/")
        found = _file(path)
        if found is None:  # no escaping the HTML folder
            route.fulfill(status=404, body="not found")
            return
        body, ctype = found
        if path == f"miniwob/{self.task}.html":
            body = _inlined(path)
        route.fulfill(status=200, body=body, content_type=ctype)

    def prepare(self, page: Any) -> None:
        """Load the task's page: the same for every seed (the page only shows its START cover
        until `setup` starts the episode)."""
        page.context.route(f"{ORIGIN}/**", self._serve)
        if self.virtual_clock_ms is not None:
            page.clock.pause_at(CLOCK_EPOCH_S)
        page.goto(self.url, wait_until="load")
        # The side panel (last reward, time left, a dot where the last click landed) is the
        # harness's, not the task's: nothing a model should see or read in the screenshot.
        page.add_style_tag(content=f"{', '.join(SIDE_PANEL)} {{ display: none !important; }}")
        if self.virtual_clock_ms is None:  # (its timers wait for the clock)
            page.evaluate(js.MINIWOB_PRELOAD)

    def setup(self, page: Any, seed: int | None) -> str:
        if page.url != self.url:  # not prepared in the background
            self.prepare(page)
        # Seed, start, wait until the task says it is ready and read the goal in one call:
        # each round trip to the page costs milliseconds, and reset is paid every episode.
        goal = page.evaluate(js.MINIWOB_START, [seed, _NO_TIMER, self.virtual_clock_ms is not None])
        if isinstance(goal, dict):  # the natural-language tasks answer {utterance, fields}
            goal = str(goal.get("utterance") or json.dumps(goal, sort_keys=True))
        return goal

    def evaluate(self, page: Any) -> TaskResult:
        done, raw, reason = page.evaluate(js.MINIWOB_STATE)
        if not done:
            return TaskResult(reward=0.0, success=False, progress=0.0, terminated=False, raw_reward=0.0)
        raw = float(raw)
        # The env reward is the raw reward, not MiniWoB's time-scaled one (raw times the share
        # of its 10 s left): time since reset is mostly the model's latency, so the same seed and
        # actions earned 1.0 from a fast planner and 0.0 from a slow one. Scaling by steps instead
        # would count length twice (the derived returns are already discounted per step), and
        # the virtual clock runs on only the pages that move with time.
        return TaskResult(
            reward=raw, success=raw >= 1.0, progress=max(0.0, min(1.0, raw)), terminated=True,
            raw_reward=raw, details={"reason": reason} if reason else None,
        )

    def close(self) -> None:
        pass


def make(task: str) -> MiniWoBTask:
    """Factory named in the registry: `task` is a bundled page's name, e.g. "click-button"."""
    return MiniWoBTask(task)
