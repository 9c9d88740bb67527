"""Widget tasks: date pickers, sliders, scrolling text areas and lists, autocompletes, timed
buttons. Each reads the widget's state from the graph (a slider's value/min/max, a date
picker's month and year, a box's scroll position) and moves it one step at a time."""

from __future__ import annotations

import re
from collections import deque
from datetime import date

from agentloop.context import Context
from agentloop.envs.web.miniwob.solvers.common import (
    WAIT,
    Action,
    Kind,
    Skill,
    Solvers,
    body,
    call,
    centre,
    click,
    done_actions,
    find,
    last_action,
    nodes,
    parent_of,
    quoted,
    submit,
    textboxes,
    type_into,
    wait,
)
from agentloop.scene import Node

_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december"]


def _shown_month(ctx: Context) -> tuple[int, int] | None:
    """The (year, month) an open date picker shows, from its title's month and year texts."""
    month = next((i + 1 for n in body(ctx) if (i := _month_index(n.name)) is not None), None)
    year = next((int(n.name) for n in body(ctx, [Kind.TEXT]) if re.fullmatch(r"(19|20)\d\d", n.name.strip())), None)
    return (year, month) if month and year else None


def _month_index(name: str) -> int | None:
    name = name.strip().lower()
    return _MONTHS.index(name) if name in _MONTHS else None


def pick_date(ctx: Context, want: date, field: Node | None) -> Action | None:
    """Open the date picker from `field`, page to `want`'s month, click its day. None: picked."""
    shown = _shown_month(ctx)
    if shown is None:
        if field is not None and str(field.get("value") or "") == want.strftime("%m/%d/%Y"):
            return None
        return click(field) if field is not None else WAIT
    (year, month), target = shown, (want.year, want.month)
    if (year, month) != target:
        name = "Prev" if (year, month) > target else "Next"
        link = next((n for n in body(ctx) if n.name.strip().lower() == name.lower() and n.get("clickable")), None)
        return click(link) if link else WAIT
    day = next((n for n in body(ctx, [Kind.LINK]) if n.name.strip() == str(want.day)), None)
    return click(day) if day else WAIT


def choose_date(ctx: Context) -> Action:
    m = re.search(r"(\d\d)/(\d\d)/(\d{4})", ctx.goal)
    if not m:
        return WAIT
    want = date(int(m.group(3)), int(m.group(1)), int(m.group(2)))
    field = next((n for n in nodes(ctx, [Kind.TEXTBOX]) if n.get("tag") == "input"), None)
    step = pick_date(ctx, want, field)
    return step if step is not None else submit(ctx)


# ---- sliders ---------------------------------------------------------------------------------
# A jQuery UI slider answers keys: arrows move one step, PageUp/PageDown a fifth of the range,
# Home/End jump to the ends.
_PAGES = 5


def _slider_keys(value: int, target: int, lo: int, hi: int) -> list[str]:
    """The shortest key sequence from `value` to `target` (a breadth-first search over values)."""
    page = max(1, round((hi - lo) / _PAGES))
    moves = {"ArrowRight": 1, "ArrowLeft": -1, "PageUp": page, "PageDown": -page}
    seen: dict[int, list[str]] = {value: []}
    queue = deque([value])
    while queue:
        v = queue.popleft()
        if v == target:
            return seen[v]
        nexts = [(k, min(hi, max(lo, v + d))) for k, d in moves.items()] + [("Home", lo), ("End", hi)]
        for key, nv in nexts:
            if nv not in seen:
                seen[nv] = [*seen[v], key]
                queue.append(nv)
    return []


def _int(v: object) -> int | None:
    try:
        return int(float(str(v)))
    except (TypeError, ValueError):
        return None


def slider_handles(ctx: Context) -> list[Node]:
    """The sliders' handles (the focusable part that takes keys), in page order."""
    sliders = nodes(ctx, [Kind.SLIDER])
    handles = [n for n in sliders if n.get("tag") != "div"]
    return handles or sliders


def set_slider(handle: Node, target: int) -> Action | None:
    """The next key press moving `handle` to `target`; None when it is there."""
    value, lo, hi = _int(handle.get("value")), _int(handle.get("min")), _int(handle.get("max"))
    if value is None or lo is None or hi is None or value == target:
        return None
    keys = _slider_keys(value, max(lo, min(hi, target)), lo, hi)
    return call(Skill.PRESS, key=keys[0], element=handle.id) if keys else None


def use_slider(ctx: Context) -> Action:
    m = re.search(r"Select (-?\d+) with the slider", ctx.goal)
    handles = slider_handles(ctx)
    if not m or not handles:
        return WAIT
    step = set_slider(handles[0], int(m.group(1)))
    return step or submit(ctx)


def use_slider_2(ctx: Context) -> Action:
    m = re.search(r"combination \[([-\d,\s]+)\]", ctx.goal)
    handles = slider_handles(ctx)
    if not m:
        return WAIT
    targets = [int(v) for v in m.group(1).split(",")]
    for handle, target in zip(handles, targets):
        step = set_slider(handle, target)
        if step is not None:
            return step
    return submit(ctx)


def form_sequence(ctx: Context) -> Action:
    """'Select N with the slider, click the Kth checkbox, then hit Submit.'"""
    m = re.search(r"Select (-?\d+) with the slider, click the (\d+)(?:st|nd|rd|th) checkbox", ctx.goal)
    handles, boxes = slider_handles(ctx), nodes(ctx, [Kind.CHECKBOX])
    if not m or not handles:
        return WAIT
    step = set_slider(handles[0], int(m.group(1)))
    if step is not None:
        return step
    k = int(m.group(2)) - 1
    if k < len(boxes) and not boxes[k].get("checked"):
        return click(boxes[k])
    return submit(ctx)


# ---- scrolling -------------------------------------------------------------------------------
def scroll_text_2(ctx: Context) -> Action:
    """Scroll the text area to the top or bottom, then submit."""
    area = next((n for n in nodes(ctx) if n.get("scrollable")), None)
    if area is None:
        return WAIT
    down = "bottom" in ctx.goal
    move = call(Skill.SCROLL, element=area.id, direction="down" if down else "up", amount=5000)
    return move if str(move) not in done_actions(ctx) else submit(ctx)


def sign_agreement(ctx: Context) -> Action:
    """Scroll the agreement to its end (that enables the form), type the name, press the button."""
    names = quoted(ctx.goal)
    plain = re.fullmatch(r"Click the (\w+) button\.?", ctx.goal.strip())
    if plain:  # the short variant: just the button
        b = find(ctx, plain.group(1), [Kind.BUTTON])
        return click(b) if b else WAIT
    if len(names) < 2:
        return WAIT
    area = next((n for n in nodes(ctx) if n.get("scrollable")), None)
    move = call(Skill.SCROLL, element=area.id, direction="down", amount=10000) if area else None
    if move is not None and str(move) not in done_actions(ctx):
        return move
    name = next((n for n in nodes(ctx, [Kind.TEXTBOX]) if n.get("tag") == "input"), None)
    if name is None or name.get("disabled"):
        return WAIT
    if name.get("value") != names[0]:
        return type_into(name, names[0])
    b = find(ctx, names[1], [Kind.BUTTON])
    return click(b) if b and not b.get("disabled") else WAIT


# ---- timing ----------------------------------------------------------------------------------
# What the steps around a wait add to it (the observation after the first press, the wait's
# own settle, the second press), measured on a loaded two-core machine.
_STEP_OVERHEAD_MS = 350

def button_delay(ctx: Context) -> Action:
    """Click ONE, wait the number of seconds the goal says, click TWO. The buttons can overlap,
    so they are pressed from the keyboard (Enter on the focused button), which no cover blocks."""
    m = re.search(r"wait (\d+) seconds?", ctx.goal)
    one, two = find(ctx, "ONE", [Kind.BUTTON]), find(ctx, "TWO", [Kind.BUTTON])
    if not m or one is None or two is None:
        return WAIT
    first = call(Skill.PRESS, key="Enter", element=one.id)
    # The observation after the first press and the second press take time too: wait that much less.
    pause = wait(max(0, int(m.group(1)) * 1000 - _STEP_OVERHEAD_MS))
    done = done_actions(ctx)
    if str(first) not in done:
        return first
    if last_action(ctx) != str(pause):
        return pause
    return call(Skill.PRESS, key="Enter", element=two.id)


_FIRST_MS, _TICK_MS = 4000, 300


def stock_market(ctx: Context) -> Action:
    """'Buy X stock when the price is less/more than $P': watch the price, buy when it is."""
    m = re.search(r"price is (less|more|greater) than \$(\d+(?:\.\d+)?)", ctx.goal)
    price = next((float(p.group(1)) for n in body(ctx, [Kind.TEXT]) if (p := re.fullmatch(r"\$([\d.]+)", n.name.strip()))),
                 None)
    buy = find(ctx, "buy", [Kind.BUTTON])
    if not m or buy is None:
        return WAIT
    bound = float(m.group(2))
    # The bound is a price the walk reaches (its 75th tick), and the task takes that price as
    # "less than" it: on some seeds it is the walk's lowest, met only by equality.
    if price is not None and (price <= bound if m.group(1) == "less" else price >= bound):
        return click(buy)
    # The price moves every 100 ms and comes to the bound some seconds in: let the first
    # seconds pass at once, then look often.
    return wait(_TICK_MS if ctx.history else _FIRST_MS)


# ---- autocomplete ----------------------------------------------------------------------------
def use_autocomplete(ctx: Context) -> Action:
    """Type the prefix, wait for the suggestions, pick the one with the right ending."""
    q = quoted(ctx.goal)
    field = next(iter(textboxes(ctx)), None)
    if not q or field is None:
        return WAIT
    start, end = q[0], q[1] if len(q) > 1 else ""
    value = str(field.get("value") or "")
    # The suggestion picked may be the prefix itself ("Chad" for "Chad"): once one was clicked, a
    # value no longer than the prefix is a pick too, not only one that grew past what was typed.
    picked = any(a.startswith("click(") for a in done_actions(ctx))
    matches = value.lower().startswith(start.lower()) and value.lower().endswith(end.lower())
    if matches and (len(value) > len(start) or picked):
        return submit(ctx)
    items = [n for n in nodes(ctx, [Kind.OPTION, Kind.LISTITEM, Kind.MENUITEM])
             if n.name.lower().startswith(start.lower()) and n.name.lower().endswith(end.lower())]
    if items:
        return click(items[0])
    if value != start:
        return type_into(field, start)
    return wait(500)


def _inside(x: float, y: float, n: Node) -> bool:
    bx, by, bw, bh = n.get("bbox")
    return bx <= x <= bx + bw and by <= y <= by + bh


# ---- pie menu --------------------------------------------------------------------------------
def click_pie(ctx: Context) -> Action:
    """Open the pie menu with its "+" centre, then click the slice labelled as the goal says."""
    names = quoted(ctx.goal)
    if not names:
        return WAIT
    want = names[-1]
    labels = [n for n in body(ctx) if n.name.strip() == want and n.get("tag") in ("text", "tspan")]
    if labels:
        # The label's text, its inner span, then the slice under it: each tried once, since a
        # click on a label that is still spreading out may not land.
        cx, cy = centre(labels[-1])
        slices = [n for n in body(ctx) if n.get("tag") == "path" and n.get("clickable") and _inside(cx, cy, n)]
        tried = {h.action for h in ctx.history}  # a refused click (covered) counts as tried too
        for n in [*reversed(labels), *slices]:
            if str(click(n)) not in tried:
                return click(n)
        return click(slices[0] if slices else labels[-1])
    opener = [n for n in body(ctx) if n.name.strip() == "+" and n.get("clickable")]
    if opener and str(click(opener[-1])) not in done_actions(ctx):
        return click(opener[-1])
    return wait(300)  # the slices spread out over a few hundred milliseconds


# ---- a flight search form ---------------------------------------------------------------------
_FLIGHT = re.compile(r"Book the (\w+) one-way flight from: (.+?) to: (.+?) on (\d\d)/(\d\d)/(\d{4})")


def _autocomplete(ctx: Context, field: Node, want: str) -> Action | None:
    """Fill `field` with the suggestion naming `want` (typed, then picked); None when done."""
    value = str(field.get("value") or "")
    if value.lower() != want.lower() and (value.lower().startswith(want.lower()) or f"({want.lower()})" in value.lower()):
        return None  # a suggestion was picked: "Aberdeen, SD (ABR)"
    w = want.lower()
    options = [n for n in nodes(ctx, [Kind.OPTION]) if w in n.name.lower()]
    # An airport code names its own suggestion ("(OTH)"); a city starts its ("Aberdeen, SD (ABR)").
    # Anywhere else it is a coincidence ("Dothan" holds "oth").
    options.sort(key=lambda n: (f"({w})" not in n.name.lower(), not n.name.lower().startswith(w)))
    if options and value.lower() == w:
        return click(options[0])
    if value.lower() != want.lower():
        return type_into(field, want)
    return wait(300)


def book_flight(ctx: Context) -> Action:
    m = _FLIGHT.search(ctx.goal)
    if not m:
        return WAIT
    which, origin, dest = m.group(1).lower(), m.group(2).strip(), m.group(3).strip()
    when = date(int(m.group(6)), int(m.group(4)), int(m.group(5)))
    results = _flights(ctx)
    if results:
        key = (lambda f: f[1]) if which in ("cheapest", "lowest") else (lambda f: f[0])
        return click(min(results, key=key)[2])
    fields = {n.name.strip().rstrip(":").lower(): n for n in textboxes(ctx)}
    for name, want in (("from", origin), ("to", dest)):
        f = fields.get(name)
        if f is None:
            return WAIT
        step = _autocomplete(ctx, f, want)
        if step is not None:
            return step
    picker = next((n for n in nodes(ctx, [Kind.TEXTBOX]) if n.get("readonly")), None)
    step = pick_date(ctx, when, picker)
    return step if step is not None else submit(ctx, "search")


def _flights(ctx: Context) -> list[tuple[int, int, Node]]:
    """The result list's flights as (duration in minutes, price, its Book button)."""
    out: list[tuple[int, int, Node]] = []
    duration: int | None = None
    for n in body(ctx):
        d = re.fullmatch(r"\s*(\d+)h\s*(\d+)m\s*", n.name)
        if d:
            duration = int(d.group(1)) * 60 + int(d.group(2))
        p = re.search(r"Book flight for \$(\d+)", n.name)
        if p and n.kind == Kind.BUTTON and duration is not None:
            out.append((duration, int(p.group(1)), n))
            duration = None
    return out


# ---- a menu with submenus ---------------------------------------------------------------------
def click_menu_2(ctx: Context) -> Action:
    """Open the menu, then hover its items one by one (each opens its submenu, if it has one)
    until the item named in the goal shows, and click it."""
    names = quoted(ctx.goal)
    if not names:
        return WAIT
    want = names[-1].strip()
    items = [n for n in body(ctx, [Kind.MENUITEM]) if n.get("visible", True)]
    hit = next((n for n in items if n.name.strip() == want), None)
    if hit is not None:
        return click(hit)
    if not items:
        opener = find(ctx, names[0], [Kind.BUTTON]) if len(names) > 1 else None
        return click(opener) if opener else WAIT
    hovered = {h.action for h in ctx.history if h.action.startswith("hover(")}
    item = next((n for n in items if str(call(Skill.HOVER, element=n.id)) not in hovered
                 and not (parent_of(ctx, n) or n).get("disabled")), None)
    return call(Skill.HOVER, element=item.id) if item else WAIT


SOLVERS: Solvers = {
    "miniwob.choose-date": choose_date,
    "miniwob.choose-date-easy": choose_date,
    "miniwob.choose-date-medium": choose_date,
    "miniwob.choose-date-nodelay": choose_date,
    "miniwob.use-slider": use_slider,
    "miniwob.use-slider-2": use_slider_2,
    "miniwob.form-sequence": form_sequence,
    "miniwob.scroll-text-2": scroll_text_2,
    "miniwob.sign-agreement": sign_agreement,
    "miniwob.use-autocomplete": use_autocomplete,
    "miniwob.use-autocomplete-nodelay": use_autocomplete,
    "miniwob.stock-market": stock_market,
    "miniwob.book-flight": book_flight,
    "miniwob.book-flight-nodelay": book_flight,
}

# Written, not claimed yet (below 90 % over 10 episodes). button-delay (7/10): the reward wants
# the second press within 15 % of the delay, and the time steps take around a wait varies on a
# loaded machine. click-pie(-nodelay) (5/10): some slices do not answer a click on their label,
# its span or the slice under them.
# click-menu-2 (6/10): half its goals name an item by an icon the graph does not carry.
PENDING: Solvers = {"miniwob.button-delay": button_delay, "miniwob.click-menu-2": click_menu_2,
                    "miniwob.click-pie": click_pie, "miniwob.click-pie-nodelay": click_pie}
