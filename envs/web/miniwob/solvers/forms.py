"""Form tasks: fields found by their labels (wherever the layout puts them), radio buttons
and text boxes by position, drop-downs and spinners by value, searches and paged lists."""

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
    call,
    centre,
    click,
    done_actions,
    find,
    nodes,
    ordinal,
    parent_of,
    quoted,
    submit,
    textboxes,
    type_into,
)
from agentloop.scene import Node


def _distance(a: Node, b: Node) -> float:
    (ax, ay), (bx, by) = centre(a), centre(b)
    return math.hypot(ax - bx, ay - by)


def field_labelled(ctx: Context, keywords: tuple[str, ...]) -> Node | None:
    """The editable field a label containing one of `keywords` names: by its own accessible
    name or placeholder, else the field sharing the label's parent, else the one nearest it."""
    for key in keywords:
        f = _field_labelled(ctx, key.lower())
        if f is not None:
            return f
    return None


def _field_labelled(ctx: Context, key: str) -> Node | None:
    fields = textboxes(ctx)
    for f in fields:
        if key in f.name.lower() or key in str(f.get("placeholder") or "").lower():
            return f
    labels = [n for n in body(ctx) if key in n.name.lower() and not n.get("editable")
              and n.kind not in (Kind.BUTTON, Kind.TABLE, Kind.ROW)]
    for label in labels:
        up = parent_of(ctx, label)
        mates = [f for f in fields if up is not None and parent_of(ctx, f) == up]
        if len(mates) == 1:
            return mates[0]
    if labels and fields:
        return min(fields, key=lambda f: _distance(f, labels[0]))
    return None


def _action_button(ctx: Context, names: tuple[str, ...] = ("submit", "search", "go!", "go", "ok")) -> Node | None:
    for name in names:
        n = find(ctx, name, [Kind.BUTTON]) or find(ctx, name, [Kind.GENERIC, Kind.LINK])
        if n is not None and n.get("clickable"):
            return n
    return None


def fill_fields(ctx: Context, wanted: list[tuple[tuple[str, ...], str]], button: Node | None = None) -> Action:
    """Type each (label keywords, value) into its field, then press `button` (else Submit/Search/Go)."""
    for key, value in wanted:
        f = field_labelled(ctx, key)
        if f is None:
            return WAIT
        if str(f.get("value") or "") != value:
            return type_into(f, value)
    b = button or _action_button(ctx)
    return click(b) if b else WAIT


_MOVIE = re.compile(r"Search for (.+?) movies directed by (.+?) from year (\d+)")


def movie_search(ctx: Context) -> Action:
    m = _MOVIE.search(ctx.goal)
    if not m:
        return WAIT
    return fill_fields(ctx, [(("genre",), m.group(1)), (("director",), m.group(2)), (("year", "date"), m.group(3))])


def form_sequence_2(ctx: Context) -> Action:
    """'Check the Nth radio button and enter the number "V" into the Mth textbox.'"""
    m = re.search(r"(\d+)(?:st|nd|rd|th) radio.*\"(-?\d+)\".*?(\d+)(?:st|nd|rd|th) textbox", ctx.goal)
    if not m:
        return WAIT
    radios, boxes = nodes(ctx, [Kind.RADIO]), textboxes(ctx)
    r, value, t = int(m.group(1)) - 1, m.group(2), int(m.group(3)) - 1
    if r >= len(radios) or t >= len(boxes):
        return WAIT
    if not radios[r].get("checked"):
        return click(radios[r])
    if boxes[t].get("value") != value:
        return type_into(boxes[t], value)
    return submit(ctx)


def form_sequence_3(ctx: Context) -> Action:
    """'Choose X from the dropdown, then click the button labeled "Y".' The drop-down is a
    native <select> or a scripted one (a box that opens a scrolling list of items)."""
    m = re.search(r"Choose (.+?) from the dropdown", ctx.goal)
    names = quoted(ctx.goal)
    if not m or not names:
        return WAIT
    option = m.group(1).strip()
    sel = next(iter(nodes(ctx, [Kind.COMBOBOX])), None)
    done = done_actions(ctx)
    if sel is not None and sel.get("tag") == "select":
        pick = call(Skill.SELECT, element=sel.id, option=option)
        if str(pick) not in done:
            return pick
    elif not _picked(ctx, option):
        return pick_from_menu(ctx, option)
    b = find(ctx, names[-1], [Kind.BUTTON])
    return click(b) if b else WAIT


def _picked(ctx: Context, option: str) -> bool:
    """Whether an item named `option` was clicked this episode (by the target it named)."""
    return any(not h.action_error and h.action.startswith("click(") and any(t.endswith(":" + option) for t in h.targets)
               for h in ctx.history)


def pick_from_menu(ctx: Context, option: str) -> Action:
    """Click the item `option` of an open menu (scrolling its box to it first when it is
    clipped); while no such item shows, open the drop-down: the clickable box whose text
    lists the option, or the one with the ▾ arrow."""
    items = [n for n in body(ctx, [Kind.LISTITEM, Kind.OPTION, Kind.MENUITEM]) if n.name.strip() == option]
    item = next((n for n in items if n.get("visible", True) and not n.get("clipped")), None)
    if item is not None:
        return click(item)
    clipped = next((n for n in items if n.get("clipped") and n.get("scroll_box")), None)
    if clipped is not None:
        box_node = next((n for n in nodes(ctx) if n.id == clipped.get("scroll_box")), None)
        if box_node is not None:
            down = centre(clipped)[1] > centre(box_node)[1]
            return call(Skill.SCROLL, element=box_node.id, direction="down" if down else "up",
                        amount=max(20, int(abs(centre(clipped)[1] - centre(box_node)[1]))))
    opener = next((n for n in body(ctx) if n.get("clickable") and option in n.name and "▾" in n.name), None)
    opener = opener or next((n for n in body(ctx) if n.get("clickable") and "▾" in n.name), None)
    return click(opener) if opener else WAIT


def use_spinner(ctx: Context) -> Action:
    m = re.search(r"Select (-?\d+) with the spinner", ctx.goal)
    spin = next((n for n in textboxes(ctx)), None)
    if not m or spin is None:
        return WAIT
    return type_into(spin, m.group(1)) if str(spin.get("value")) != m.group(1) else submit(ctx)


def click_scroll_list(ctx: Context) -> Action:
    """'Select A, B from the scroll list and click Submit': choose exactly those options of the
    list (one or several), then submit."""
    m = re.search(r"Select (.+?) from the scroll list", ctx.goal)
    lst = next(iter(nodes(ctx, [Kind.LISTBOX, Kind.COMBOBOX])), None)
    if not m or lst is None:
        return WAIT
    options = {n.name.strip() for n in nodes(ctx, [Kind.OPTION])}
    # Option names may hold commas ("Korea, Republic of"): split only where both sides are options.
    wanted = _split_known(m.group(1), options)
    chosen = set(lst.get("selected_options") or [])
    if chosen != set(wanted):
        return call(Skill.SELECT, element=lst.id, option=wanted)
    return submit(ctx)


def _split_known(text: str, known: set[str]) -> list[str]:
    """`text` split at ", " into names from `known` (whole text if it is one)."""
    if text in known or ", " not in text:
        return [text]
    parts = text.split(", ")
    for i in range(1, len(parts)):
        head, tail = ", ".join(parts[:i]), ", ".join(parts[i:])
        if head in known and tail in known:
            return [head, tail]
    return parts


def search_engine(ctx: Context) -> Action:
    """Search for the quoted term, then open the result page holding the Nth result (three a
    page) and click it."""
    term = quoted(ctx.goal)[0] if quoted(ctx.goal) else ""
    nth = ordinal(ctx.goal) or 1
    box = next(iter(textboxes(ctx)), None)
    search = find(ctx, "search", [Kind.BUTTON])
    if box is None or search is None:
        return WAIT
    if box.get("value") != term:
        return type_into(box, term)
    done = done_actions(ctx)
    if str(click(search)) not in done:
        return click(search)
    page, index = (nth - 1) // 3 + 1, (nth - 1) % 3
    pager = [n for n in body(ctx, [Kind.LINK]) if n.name.strip().isdigit()]
    results = [n for n in body(ctx, [Kind.LINK]) if not n.name.strip().isdigit() and n.name not in ("<", ">", "«", "»")
               and "://" not in n.name and n.name.strip().lower() not in ("prev", "next")]
    if page > 1:
        link = next((n for n in pager if n.name.strip() == str(page)), None)
        if link is not None and str(click(link)) not in done:
            return click(link)
    return click(results[index]) if index < len(results) else WAIT


def phone_book(ctx: Context) -> Action:
    """Page through the contacts (one a page) until the named one shows, then click the detail
    the goal asks for (phone number, email or address)."""
    m = re.search(r"Find (.+?) in the contact book and click on their (\w+)", ctx.goal)
    if not m:
        return WAIT
    who, what = m.group(1).strip(), m.group(2).lower()
    card = find(ctx, who, [Kind.HEADING])
    if card is not None:
        label = {"phone": "phone", "email": "email", "address": "address"}.get(what, what)
        links = body(ctx, [Kind.LINK])
        for n in body(ctx):
            if n.kind != Kind.LINK and n.name.strip().lower().startswith(label):
                after = [x for x in links if x.get("bbox")[1] >= n.get("bbox")[1] - 2]
                if after:
                    link = min(after, key=lambda x: (x.get("bbox")[1], x.get("bbox")[0]))
                    lx, ly, lw, lh = n.get("bbox")
                    if link.get("bbox")[3] > 1.5 * lh:
                        # A link wrapped onto two lines: its box's centre is between the lines,
                        # on nothing. Click its first line, just right of its label.
                        return call(Skill.CLICK_AT, x=lx + lw + 6, y=ly + lh / 2)
                    return click(link)
        return WAIT
    nxt = next((n for n in body(ctx, [Kind.LINK]) if n.name.strip() in (">", "›", "»", "Next")), None)
    return click(nxt) if nxt else WAIT


SOLVERS: Solvers = {
    "miniwob.multi-layouts": movie_search,
    "miniwob.multi-orderings": movie_search,
    "miniwob.form-sequence-2": form_sequence_2,
    "miniwob.form-sequence-3": form_sequence_3,
    "miniwob.use-spinner": use_spinner,
    "miniwob.search-engine": search_engine,
    "miniwob.click-scroll-list": click_scroll_list,
    "miniwob.phone-book": phone_book,
}


