"""MiniWoB++ tasks as `WebTask`s, served from the installed `miniwob` package's HTML folder.

Pages are answered by Playwright route interception on a made-up origin
(`http://miniwob.local`), so no server runs and nothing leaves the machine. The page's own
10 s episode timer is switched off (set to the largest timeout a browser accepts, and its
once-a-second countdown display stopped, so a frame does not depend on when it is taken); the
time-scaled reward is recomputed from the wall time since the episode started, the raw reward
is kept apart, and success is the raw reward reaching 1 (partial credit counts as progress).
"""

from __future__ import annotations

import mimetypes
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..task import TaskResult

ORIGIN = "http://miniwob.local"
EPISODE_SECONDS = 10.0  # MiniWoB's own time scale for the time-scaled reward
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


class MiniWoBTask:
    def __init__(self, task: str):
        if not (html_root() / "miniwob" / f"{task}.html").exists():
            import difflib

            close = difflib.get_close_matches(task, task_names(), n=1)
            raise ValueError(f"no MiniWoB task {task!r}" + (f"; did you mean {close[0]!r}?" if close else ""))
        self.task = task
        self.name = f"miniwob.{task}"
        self._t0 = 0.0
        self._done_at: float | None = None

    def origins(self) -> list[str]:
        return [ORIGIN]

    def irreversible_selectors(self) -> list[str]:
        return []

    def _serve(self, route: Any) -> None:
        path = route.request.url[len(ORIGIN):].split("?", 1)[0].lstrip("/")
        root = html_root().resolve()
        f = (root / path).resolve()
        if root not in f.parents or not f.is_file():  # no escaping the HTML folder
            route.fulfill(status=404, body="not found")
            return
        ctype = mimetypes.guess_type(f.name)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype.endswith("javascript"):
            # The bundled files are UTF-8 but (all but one) say no charset; without one the
            # browser decodes them as windows-1252 and non-ASCII text turns to mojibake.
            ctype += "; charset=utf-8"
        route.fulfill(status=200, body=f.read_bytes(), content_type=ctype)

    def setup(self, page: Any, seed: int | None) -> str:
        page.context.route(f"{ORIGIN}/**", self._serve)
        page.goto(f"{ORIGIN}/miniwob/{self.task}.html", wait_until="load")
        page.evaluate(
            """([seed, t]) => { core.EPISODE_MAX_TIME = t;
                 if (seed !== null) Math.seedrandom(String(seed));
                 core.startEpisodeReal();
                 core.clearTimer(); }""",
            [seed, _NO_TIMER],
        )
        page.wait_for_function("() => WOB_TASK_READY === true", timeout=5000)
        self._t0, self._done_at = time.perf_counter(), None
        return page.evaluate("() => core.getUtterance()")

    def evaluate(self, page: Any) -> TaskResult:
        done, raw, reason = page.evaluate("() => [WOB_DONE_GLOBAL, WOB_RAW_REWARD_GLOBAL, WOB_REWARD_REASON]")
        if not done:
            return TaskResult(reward=0.0, success=False, progress=0.0, terminated=False, raw_reward=0.0)
        if self._done_at is None:
            self._done_at = time.perf_counter()
        raw = float(raw)
        scaled = raw * max(0.0, 1.0 - (self._done_at - self._t0) / EPISODE_SECONDS) if raw > 0 else raw
        return TaskResult(
            reward=scaled, success=raw >= 1.0, progress=max(0.0, min(1.0, raw)), terminated=True,
            raw_reward=raw, details={"reason": reason} if reason else None,
        )

    def close(self) -> None:
        pass


def make(task: str) -> MiniWoBTask:
    return MiniWoBTask(task)
