"""Grounding a call on the live page before it acts, and turning the browser's failures into
typed errors.

Every check here raises `ActionError` *before* anything on the page is touched: an element
that is missing, hidden, outside the viewport, covered or not editable; an option a list does
not have; a URL outside the task's origins. Playwright's own failures during an action become
`ActionError(TIMEOUT | BROWSER)`, or `EnvCrashed` when the browser itself went away.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from agentloop.envs.web import js
from agentloop.errors import ActionError, EnvCrashed, ErrorKind

DESTROYED = "Execution context was destroyed"  # a navigation replaced the document mid-call


@dataclass(frozen=True)
class Target:
    """An element found on the page: the point to act on (the centre of its visible part, in
    viewport pixels) and what kind it is."""

    x: float
    y: float
    tag: str  # lower-case tag name
    type: str  # an input's type, lower-case ("" for other elements)
    checked: bool
    editable: bool
    scrolled: bool  # it was scrolled into view first
    box: str | None = None  # id of the scroll box it lies in, if any


def locate(page: Any, eid: str, *, editable: bool = False, reachable: bool = True, aim: bool = False) -> Target:
    """The element with id `eid`; with `reachable`, it must also be visible and on top at its
    point, and one clipped by a scroll box or outside the viewport is scrolled into view first;
    with `editable`, it must take text; with `aim`, the next mousedown is checked against it
    (`landed`)."""
    found = page.evaluate(js.LOCATE, [eid, reachable, aim])
    if not found["found"]:
        raise ActionError(ErrorKind.NO_ELEMENT, f"there is no element {eid} on the page")
    acted = bool(found.get("scrolled"))  # a scroll into view already moved the page
    if reachable:
        if not found["visible"]:
            raise ActionError(ErrorKind.NOT_VISIBLE, f"element {eid} is not visible", acted=acted)
        if found["clipped"]:
            hint = (f"is hidden inside its scroll box [{found['box']}] and could not be scrolled into view: "
                    "scroll that box first") if found["box"] else \
                "is clipped by an ancestor that hides its overflow and could not be scrolled into view"
            raise ActionError(ErrorKind.NOT_VISIBLE, f"element {eid} {hint}", acted=acted)
        if not found["in_view"]:
            raise ActionError(ErrorKind.NOT_VISIBLE, f"element {eid} is outside the viewport and could not be "
                              "scrolled into view", acted=acted)
        if found["covered_by"]:
            raise ActionError(ErrorKind.COVERED, f"element {eid} is covered by {found['covered_by']}", acted=acted)
    if editable and not found["editable"]:
        raise ActionError(ErrorKind.NOT_EDITABLE, f"element {eid} ({found['tag']}) is not editable", acted=acted)
    return Target(x=found["x"], y=found["y"], tag=found["tag"], type=found["type"],
                  checked=found["checked"], editable=found["editable"], scrolled=acted, box=found["box"])


def landed(page: Any, eid: str, at: Target) -> None:
    """Raise `MISSED` when the mousedown of an action aimed at `eid` (`locate(aim=True)`)
    reached something else: the page moved between the check and the press. No mousedown seen
    (the page took it away before the capture listener) is not a miss."""
    try:
        hit = page.evaluate(js.HIT)
    except PlaywrightError as e:
        if DESTROYED in str(e):  # the press followed a link: the page it landed on is gone, and that is no miss
            return
        raise
    if hit is not None and not hit["ok"]:
        why = ""
        if at.scrolled:
            where = f"inside its scroll box [{at.box}]" if at.box else "into view"
            why = f"; it had just been scrolled {where}"
        if hit.get("around"):  # its own container: it changed under the pointer
            why += "; it vanished under the pointer for a moment (a hover effect): click it again"
        raise ActionError(ErrorKind.MISSED, f"the press at ({at.x:.0f}, {at.y:.0f}) landed on {hit['what']}, "
                          f"not on element {eid}{why}", acted=True)


def point(page: Any, x: float, y: float) -> str:
    """Check a pixel action's point before it acts: inside the viewport (else `OFF_SCREEN`),
    with something there (else `NO_ELEMENT`); return what is there, for messages."""
    found = page.evaluate(js.POINT, [x, y])
    if not found["inside"]:
        raise ActionError(ErrorKind.OFF_SCREEN, f"({x:g}, {y:g}) is outside the screenshot "
                          f"({found['width']}x{found['height']} pixels)")
    if found["what"] is None:
        raise ActionError(ErrorKind.NO_ELEMENT, f"there is nothing at ({x:g}, {y:g}) but the page's background")
    return str(found["what"])


def option_value(options: list[list[str]], eid: str, option: str) -> str:
    """The value of the option labelled or valued `option` (exactly, else by label ignoring
    case and surrounding space) among a list's `[label, value]` pairs."""
    match = [v for label, v in options if option in (label, v)] or \
        [v for label, v in options if option.lower() == label.strip().lower()]
    if not match:
        shown = ", ".join(label for label, _ in options[:20])
        raise ActionError(ErrorKind.NO_ELEMENT, f"element {eid} has no option {option!r} (options: {shown})")
    return match[0]


def origin(url: str) -> str:
    """`scheme://host[:port]` of a URL."""
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc}"


class Sandbox:
    """The route handler of one browser context: lets the episode's origins through, blocks and
    counts everything else. One per context, so a closing context's late requests never count
    against the next episode."""

    def __init__(self) -> None:
        self.origins: set[str] = set()
        self.blocked: list[str] = []
        self.shown: Callable[[str], str] = lambda url: url  # how a refusal names a URL (the task's `shown_url`)

    def __call__(self, route: Any) -> None:
        url = route.request.url
        if origin(url) in self.origins or url.startswith(("data:", "blob:", "about:")):
            route.fallback()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    def check(self, url: str) -> None:
        """Raise unless `url` may be opened: http(s) on one of the episode's origins."""
        if urlsplit(url).scheme not in ("http", "https"):
            raise ActionError(ErrorKind.NAVIGATION_BLOCKED, f"{url!r}: only http(s) URLs may be opened")
        if origin(url) not in self.origins:
            allowed = ", ".join(sorted(origin(self.shown(o + "/")) for o in self.origins))
            raise ActionError(ErrorKind.NAVIGATION_BLOCKED,
                              f"{origin(url)} is not one of this task's origins ({allowed})")


@contextmanager
def browser_errors(skill: str) -> Iterator[None]:
    """Turn Playwright's failures during `skill` into typed errors (see the module's docstring)."""
    try:
        yield
    except PlaywrightTimeout as e:
        raise ActionError(ErrorKind.TIMEOUT, f"{skill} timed out: {str(e).splitlines()[0]}") from e
    except PlaywrightError as e:
        msg = str(e).splitlines()[0]
        if "has been closed" in msg or "Target closed" in msg:
            raise EnvCrashed(f"the browser went away: {msg}") from e
        raise ActionError(ErrorKind.BROWSER, f"{skill} failed: {msg}") from e
