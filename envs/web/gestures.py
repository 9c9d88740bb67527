"""The web skills that are more than one press: setting a slider by its keys, and a drag along a
path of points. Each checks its arguments against the live page before it acts (`ActionError`)."""

from __future__ import annotations

import time
from typing import Any

from agentloop.envs.web import js
from agentloop.envs.web.grounding import Target, landed, locate, point
from agentloop.errors import ActionError, ErrorKind

MAX_KEYS = 1000  # key presses a slider may take, at most (a range of 1000 steps)
HOVER_CHECKS = 10  # looks at the element under the resting pointer, at most, before pressing anyway
HOVER_GAP_S = 0.02  # between two looks: about a frame
HOVER_STEADY = 2  # looks in a row that must find the element there


def press(page: Any, eid: str, at: Target) -> None:
    """Click element `eid` at `at` (`locate(aim=True)`) as a hand does: the pointer comes to rest
    on it, what the hover sets off settles (an icon that swaps for its hover image is gone until
    that image is drawn), and the press follows once the element has been under the pointer for
    `HOVER_STEADY` looks in a row; `MISSED` if the press still reached something else."""
    mouse = page.mouse
    mouse.move(at.x, at.y)
    steady = 0
    for _ in range(HOVER_CHECKS):
        steady = steady + 1 if page.evaluate(js.UNDER, [eid, at.x, at.y]) else 0
        if steady >= HOVER_STEADY:
            break
        time.sleep(HOVER_GAP_S)
    mouse.down()
    mouse.up()
    landed(page, eid, at)


def focus(page: Any, eid: str) -> None:
    """Focus element `eid` for the keys that follow, without a click; a jQuery UI slider (one
    node, its track) passes the focus to its handle, which is what takes keys."""
    page.locator(f'[data-al-id="{eid}"]').evaluate(
        "el => { const h = el.classList.contains('ui-slider') ? el.querySelector('.ui-slider-handle') : null;"
        " (h || el).focus(); }")


def set_slider(page: Any, eid: str, value: float) -> None:
    """Move slider `eid` to `value` with its keys, as a person does: Home or End for an end,
    else the arrow keys, one step each, from where it is."""
    locate(page, eid)
    state = page.locator(f'[data-al-id="{eid}"]').evaluate(js.SLIDER)
    lo, hi, step = float(state["min"]), float(state["max"]), float(state["step"] or 1)
    if state["value"] is None or not state["focused"]:
        raise ActionError(ErrorKind.BAD_ARGUMENT, f"element {eid} is not a slider that takes keys")
    if not lo <= value <= hi:
        raise ActionError(ErrorKind.BAD_ARGUMENT, f"{value:g} is outside slider {eid}'s range ({lo:g} to {hi:g})")
    steps = (value - lo) / step
    if abs(steps - round(steps)) > 1e-6:
        raise ActionError(ErrorKind.BAD_ARGUMENT, f"{value:g} is not on slider {eid}'s steps ({lo:g} + k * {step:g})")
    keyboard = page.keyboard
    if value in (lo, hi):
        keyboard.press("Home" if value == lo else "End")
        return
    moves = round((value - float(state["value"])) / step)
    if abs(moves) > MAX_KEYS:
        raise ActionError(ErrorKind.BAD_ARGUMENT, f"slider {eid} would take {abs(moves)} key presses")
    for _ in range(abs(moves)):
        keyboard.press("ArrowRight" if moves > 0 else "ArrowLeft")


def drag_path(page: Any, points: list[tuple[float, float]], viewport: tuple[int, int]) -> None:
    """Press at the first point, move through the others in turn, release at the last."""
    w, h = viewport
    for x, y in points:
        if not (0 <= x < w and 0 <= y < h):
            raise ActionError(ErrorKind.OFF_SCREEN, f"({x:g}, {y:g}) is outside the screenshot ({w}x{h} pixels)")
    point(page, *points[0])
    mouse = page.mouse
    mouse.move(*points[0])
    mouse.down()
    for x, y in points[1:]:
        mouse.move(x, y, steps=2)  # a few events between points, as a hand makes
    mouse.up()
