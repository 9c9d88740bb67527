"""Tasks done with the mouse in pixels: drag a shape a way, resize a text area by its corner,
select a paragraph's text by dragging across it, reorder a list by dragging its items, draw a
circle around a marked point."""

from __future__ import annotations

import math
import re

from agentloop.context import Context
from agentloop.envs.web.miniwob.solvers.common import (
    WAIT,
    Action,
    Kind,
    Skill,
    Solvers,
    body,
    box,
    call,
    centre,
    done_actions,
    ordinal,
    submit,
)
from agentloop.scene import Node

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


def _drop(src: Node, dst: Node, down: bool) -> Action:
    """Drag `src` onto `dst`, past its middle on the side it moves towards."""
    (sx, sy), (tx, ty) = centre(src), centre(dst)
    return call(Skill.DRAG_AT, x=sx, y=sy, to_x=tx, to_y=ty + (6 if down else -6))


def drag_sort_numbers(ctx: Context) -> Action:
    """Sort the list ascending (or descending) by moving, each step, the number that belongs
    at the first wrong place there; submit once sorted."""
    items = _items(ctx)
    values = [int(n.name) for n in items if re.fullmatch(r"-?\d+", n.name.strip())]
    if len(values) != len(items) or not items:
        return WAIT
    want = sorted(values, reverse="decreasing" in ctx.goal or "highest number at the top" in ctx.goal)
    for i, (have, should) in enumerate(zip(values, want)):
        if have != should:
            j = values.index(should, i)
            return _drop(items[j], items[i], down=False)
    return submit(ctx)


_ROWS = {"top": 0, "center": 1, "middle": 1, "bottom": 2}
_COLS = {"left": 0, "center": 1, "middle": 1, "right": 2}


def drag_items_grid(ctx: Context) -> Action:
    """'Drag X to the <row> <column>' or 'Drag X <way> by N' in a 3x3 grid: drop X onto the
    item in that cell, past its middle on the far side (the grid reflows in reading order)."""
    to = re.search(r"Drag (.+?) to the (top|center|middle|bottom)(?: (left|center|middle|right))?", ctx.goal)
    by = re.search(r"Drag (.+?) (up|down|left|right) by (\w+)", ctx.goal)
    items = _items(ctx)
    found = to or by
    if not found or len(items) < 2:
        return WAIT
    rows = sorted({round(box(n)[1]) for n in items})
    cols = sorted({round(box(n)[0]) for n in items})
    src = next((n for n in items if n.name.strip() == found.group(1)), None)
    if src is None:
        return WAIT
    sr, sc = rows.index(round(box(src)[1])), cols.index(round(box(src)[0]))
    if to:
        r, c = _ROWS[to.group(2)], _COLS[to.group(3) or "center"]
    else:
        n = int(found.group(3)) if found.group(3).isdigit() else _COUNT.get(found.group(3), 1)
        dr, dc = {"up": (-n, 0), "down": (n, 0), "left": (0, -n), "right": (0, n)}[found.group(2)]
        r, c = sr + dr, sc + dc
    if not (0 <= r < len(rows) and 0 <= c < len(cols)):
        return WAIT
    dst = next((n for n in items if round(box(n)[1]) == rows[r] and round(box(n)[0]) == cols[c]), None)
    if dst is None or dst.id == src.id:
        return WAIT if dst is None else submit(ctx)
    forward = (r, c) > (sr, sc)
    (sx, sy), (tx, ty) = centre(src), centre(dst)
    tx += 8 if forward else -8
    return _once(ctx, call(Skill.DRAG_AT, x=sx, y=sy, to_x=tx, to_y=ty)) or WAIT


_CIRCLE_R = 20  # pixels: a circle the drawing's bounds hold around any marked point, and >= 20 px across
_CIRCLE_POINTS = 36


def draw_circle(ctx: Context) -> Action:
    """'Draw a circle centered around the marked point': one stroke along a circle around the
    marked point (the drawing's one shape before the stroke), then submit."""
    drawn = any(a.startswith(Skill.DRAG_PATH.value + "(") for a in done_actions(ctx))
    mark = next((n for n in body(ctx, [Kind.SHAPE]) if n.get("tag") == "circle"), None)
    if drawn or mark is None:
        return submit(ctx) if drawn else WAIT
    cx, cy = centre(mark)
    points = [[round(cx + _CIRCLE_R * math.cos(2 * math.pi * i / _CIRCLE_POINTS), 1),
               round(cy + _CIRCLE_R * math.sin(2 * math.pi * i / _CIRCLE_POINTS), 1)] for i in range(_CIRCLE_POINTS + 1)]
    return call(Skill.DRAG_PATH, points=points)


SOLVERS: Solvers = {
    "miniwob.draw-circle": draw_circle,
    "miniwob.drag-circle": drag_shape,
    "miniwob.drag-single-shape": drag_shape,
    "miniwob.resize-textarea": resize_textarea,
    "miniwob.highlight-text": highlight_text,
    "miniwob.highlight-text-2": highlight_text,
    "miniwob.drag-items": drag_items,
    "miniwob.drag-sort-numbers": drag_sort_numbers,
}

# drag-items-grid: 9/10 on seeds 1000-1009 but 1/3 on 2000-2002: where a drop lands depends on
# the items the drag passes over on its way, as the grid reflows under it.
PENDING: Solvers = {"miniwob.drag-items-grid": drag_items_grid}
