"""Tasks done with the mouse in pixels: drag a shape a way, resize a text area by its corner,
select a paragraph's text by dragging across it, reorder a list by dragging its items."""

from __future__ import annotations

import re

from agentloop.roles.context import Context
from agentloop.scene import Node

from .common import WAIT, Action, Kind, Skill, Solvers, body, box, call, centre, done_actions, ordinal, submit

_STEP = {"left": (-1, 0), "right": (1, 0), "up": (0, -1), "down": (0, 1)}
_DRAG_PX = 30


def _once(ctx: Context, action: Action) -> Action | None:
    """`action` unless a drag already ran this episode (what it dragged has moved since, so
    the same drag would now start somewhere else)."""
    dragged = any(a.startswith(Skill.DRAG_AT.value + "(") for a in done_actions(ctx))
    return None if dragged else action


def drag_shape(ctx: Context) -> Action:
    """'Drag the circle/item <direction> then press Submit': drag it from its centre."""
    m = re.search(r"\b(left|right|up|down)\b", ctx.goal)
    shape = next((n for n in body(ctx) if n.get("tag") in ("circle", "polygon", "rect", "path", "ellipse")), None)
    if not m or shape is None:
        return WAIT
    (x, y), (dx, dy) = centre(shape), _STEP[m.group(1)]
    move = call(Skill.DRAG_AT, x=x, y=y, to_x=x + dx * _DRAG_PX, to_y=y + dy * _DRAG_PX)
    return _once(ctx, move) or submit(ctx)


def resize_textarea(ctx: Context) -> Action:
    """Drag the text area's resize grip (its bottom-right corner) out or in."""
    area = next((n for n in body(ctx, [Kind.TEXTBOX]) if n.get("tag") == "textarea"), None)
    if area is None:
        return WAIT
    x, y, w, h = box(area)
    d = -_DRAG_PX if "smaller" in ctx.goal else _DRAG_PX
    gx, gy = x + w - 3, y + h - 3
    move = call(Skill.DRAG_AT, x=gx, y=gy, to_x=gx + d, to_y=gy + d)
    return _once(ctx, move) or submit(ctx)


def highlight_text(ctx: Context) -> Action:
    """Select all of a paragraph's text: drag from its first character to past its last line's end."""
    nth = ordinal(ctx.goal) or 1
    paragraphs = [n for n in body(ctx, [Kind.TEXT]) if n.name.strip()]
    if len(paragraphs) < nth:
        return WAIT
    x, y, w, h = box(paragraphs[nth - 1])
    move = call(Skill.DRAG_AT, x=x + 0.5, y=y + 4, to_x=x + w - 1, to_y=y + h - 4)
    return _once(ctx, move) or submit(ctx)


def _items(ctx: Context) -> list[Node]:
    """A sortable list's items, top to bottom."""
    return sorted((n for n in body(ctx, [Kind.TEXT]) if n.name.strip()), key=lambda n: (box(n)[1], box(n)[0]))


_COUNT = {"one": 1, "two": 2, "three": 3, "four": 4}


def drag_items(ctx: Context) -> Action:
    """'Drag X up/down by N positions', 'to the Nth position' or 'to the top/bottom': drop X
    onto the item at its new place."""
    by = re.search(r"Drag (.+?) (up|down) by (\w+) position", ctx.goal)
    to = re.search(r"Drag (.+?) to the (\d+)(?:st|nd|rd|th) position", ctx.goal)
    end = re.search(r"Drag (.+?) to the (top|bottom)\b", ctx.goal)
    items = _items(ctx)
    names = [i.name.strip() for i in items]
    found = by or to or end
    who = found.group(1) if found else None
    if who is None or who not in names:
        return WAIT
    src = names.index(who)
    if by:
        n = int(by.group(3)) if by.group(3).isdigit() else _COUNT.get(by.group(3), 1)
        dst = src + (n if by.group(2) == "down" else -n)
    elif to:
        dst = int(to.group(2)) - 1
    else:
        dst = 0 if end and end.group(2) == "top" else len(items) - 1
    if not 0 <= dst < len(items) or dst == src:
        return WAIT
    (sx, sy), (tx, ty) = centre(items[src]), centre(items[dst])
    # Past the target's middle, so the list makes room on the far side of it.
    ty += 6 if dst > src else -6
    move = call(Skill.DRAG_AT, x=sx, y=sy, to_x=tx, to_y=ty)
    return _once(ctx, move) or WAIT


SOLVERS: Solvers = {
    "miniwob.drag-circle": drag_shape,
    "miniwob.drag-single-shape": drag_shape,
    "miniwob.resize-textarea": resize_textarea,
    "miniwob.highlight-text": highlight_text,
    "miniwob.highlight-text-2": highlight_text,
    "miniwob.drag-items": drag_items,
}
