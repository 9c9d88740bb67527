"""Tasks answered by reading the page: copy a text, find a word, read a table, solve a sum,
compare durations, sort numbers. The answer is parsed from the graph's text, never
evaluated as code."""

from __future__ import annotations

import itertools
import re

from agentloop.context import Context
from agentloop.envs.web.miniwob.solvers.common import (
    WAIT,
    Action,
    Kind,
    Solvers,
    body,
    click,
    fill_then,
    nodes,
    ordinal,
    submit,
    textboxes,
    type_into,
    untried,
)
from agentloop.scene import Node

_WORD = re.compile(r"[^a-zA-Z0-9]")


def text_transform(ctx: Context) -> Action:
    """The distorted characters are one text node each, above the field: type them in order."""
    field = next(iter(textboxes(ctx)), None)
    if field is None:
        return WAIT
    top = field.get("bbox")[1]
    chars = [n.name for n in body(ctx, [Kind.TEXT]) if n.get("bbox")[1] < top]
    return fill_then(ctx, ["".join(chars)])


def _areas(ctx: Context) -> tuple[list[Node], list[Node]]:
    """Text areas (the sources) and single-line inputs (the targets)."""
    boxes = list(nodes(ctx, [Kind.TEXTBOX]))
    return [n for n in boxes if n.get("tag") == "textarea"], [n for n in boxes if n.get("tag") == "input"]


def copy_paste(ctx: Context) -> Action:
    areas, inputs = _areas(ctx)
    nth = ordinal(ctx.goal) or 1
    if len(areas) < nth or not inputs:
        return WAIT
    text = str(areas[nth - 1].get("value") or "")
    return type_into(inputs[0], text) if inputs[0].get("value") != text else submit(ctx)


def find_word(ctx: Context) -> Action:
    nth = ordinal(ctx.goal) or 1
    field = next(iter(textboxes(ctx)), None)
    para = next((n for n in body(ctx, [Kind.TEXT]) if len(n.name.split()) >= nth and n.name not in ctx.goal), None)
    if field is None or para is None:
        return WAIT
    return fill_then(ctx, [_WORD.sub("", para.name.split()[nth - 1])])


def scroll_text(ctx: Context) -> Action:
    areas, inputs = _areas(ctx)
    if not areas:
        return WAIT
    words = str(areas[0].get("value") or "").split()
    if not words or not inputs:
        return WAIT
    answer = _WORD.sub("", words[-1])
    return type_into(inputs[0], answer) if inputs[0].get("value") != answer else submit(ctx)


def _table(ctx: Context) -> dict[str, str]:
    """A two-column table's cells as {label: value}."""
    cells = [n.name.strip() for n in nodes(ctx, [Kind.CELL])]
    return {cells[i].lower(): cells[i + 1] for i in range(0, len(cells) - 1, 2)}


def read_table(ctx: Context) -> Action:
    m = re.search(r"value of (.+?) into", ctx.goal)
    value = _table(ctx).get(m.group(1).strip().lower()) if m else None
    return fill_then(ctx, [value]) if value is not None else WAIT


def field_after(ctx: Context, label: Node) -> Node | None:
    """The first editable text box after `label` in page order (a form's label precedes its field)."""
    seen = False
    for n in nodes(ctx):
        if n.id == label.id:
            seen = True
        elif seen and n.kind == Kind.TEXTBOX and n.get("editable"):
            return n
    return None


def read_table_2(ctx: Context) -> Action:
    table = _table(ctx)
    for label in nodes(ctx, [Kind.LABEL]):
        value = table.get(label.name.strip().rstrip(":").lower())
        box = field_after(ctx, label)
        if value is None or box is None:
            continue
        if box.get("value") != value:
            return type_into(box, value)
    return submit(ctx)


_ALGEBRA = re.compile(r"(-?\d+)\s*([-+])\s*x\s*=\s*(-?\d+)|x\s*([-+])\s*(-?\d+)\s*=\s*(-?\d+)")


def simple_algebra(ctx: Context) -> Action:
    for n in body(ctx, [Kind.TEXT]):
        m = _ALGEBRA.search(n.name)
        if not m:
            continue
        if m.group(1) is not None:  # a ± x = c
            a, op, c = int(m.group(1)), m.group(2), int(m.group(3))
            x = c - a if op == "+" else a - c
        else:  # x ± b = c
            op, b, c = m.group(4), int(m.group(5)), int(m.group(6))
            x = c - b if op == "+" else c + b
        return fill_then(ctx, [str(x)])
    return WAIT


def _minutes(text: str) -> int | None:
    m = re.fullmatch(r"\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*", text)
    if not m or not (m.group(1) or m.group(2)):
        return None
    return int(m.group(1) or 0) * 60 + int(m.group(2) or 0)


def buy_ticket(ctx: Context) -> Action:
    """Each ticket: a duration text, then its "Book for $N" button."""
    tickets: list[tuple[int, int, Node]] = []
    duration: int | None = None
    for n in body(ctx):
        if n.kind == Kind.TEXT and _minutes(n.name) is not None:
            duration = _minutes(n.name)
        m = re.search(r"\$(\d+)", n.name)
        if n.kind == Kind.BUTTON and m and duration is not None:
            tickets.append((duration, int(m.group(1)), n))
            duration = None
    if not tickets:
        return WAIT
    goal = ctx.goal.lower()
    key = 1 if "price" in goal or "cheapest" in goal or "expensive" in goal else 0
    pick = max if "longest" in goal or "most expensive" in goal else min
    return click(pick(tickets, key=lambda t: t[1] if key else t[0])[2])


def _number(text: str) -> int | None:
    return int(text) if re.fullmatch(r"-?\d+", text.strip()) else None


def odd_or_even(ctx: Context) -> Action:
    """Each number sits between its row's Odd and Even buttons; each row is answered once."""
    buttons = nodes(ctx, [Kind.BUTTON])
    done = {h.action for h in ctx.history if not h.action_error}
    for n in body(ctx, [Kind.TEXT]):
        value = _number(n.name)
        if value is None:
            continue
        row = [b for b in buttons if b.name in ("Odd", "Even") and _overlap(b, n)]
        want = next((b for b in row if b.name == ("Even" if value % 2 == 0 else "Odd")), None)
        if want is not None and not any(str(click(b)) in done for b in row):
            return click(want)
    return submit(ctx)


def _overlap(a: Node, b: Node) -> bool:
    ay, ah = a.get("bbox")[1], a.get("bbox")[3]
    by, bh = b.get("bbox")[1], b.get("bbox")[3]
    return ay < by + bh and by < ay + ah


def ascending_numbers(ctx: Context) -> Action:
    nums = sorted((v, n) for n in body(ctx, [Kind.TEXT]) if (v := _number(n.name)) is not None)
    n = untried(ctx, [n for _, n in nums])
    return click(n) if n else WAIT


def _wanted(goal: str, value: int) -> bool | None:
    """Whether `value` meets "less than N", "greater than N", "odd" or "even"; None: no such goal."""
    m = re.search(r"(less|greater|more) than (-?\d+)", goal)
    if m:
        return value < int(m.group(2)) if m.group(1) == "less" else value > int(m.group(2))
    if re.search(r"\bodd\b", goal):
        return value % 2 == 1
    if re.search(r"\beven\b", goal):
        return value % 2 == 0
    return None


def generate_number(ctx: Context) -> Action:
    """Press Generate until the number shown meets the goal, then Submit."""
    shown = next((v for n in body(ctx, [Kind.TEXT]) if (v := _number(n.name)) is not None), None)
    return submit(ctx) if shown is not None and _wanted(ctx.goal, shown) else submit(ctx, "generate")


def guess_number(ctx: Context) -> Action:
    """Binary search over 0-9: type a guess, submit it, read "higher"/"lower". The page shows
    feedback on the last guess only; each earlier guess's feedback is implied by the guess
    that followed it (higher or lower)."""
    field = next(iter(textboxes(ctx)), None)
    if field is None:
        return WAIT
    done = [h.action for h in ctx.history if not h.action_error]
    guesses = [int(m.group(1)) for a in done if (m := re.search(r'type\(.*text="(-?\d+)"', a))]
    if done and done[-1].startswith("type("):
        return submit(ctx)
    lo, hi = 0, 9
    for a, b in itertools.pairwise(guesses):
        lo, hi = (a + 1, hi) if b > a else (lo, a - 1)
    feedback = " ".join(n.name.lower() for n in body(ctx, [Kind.TEXT]))
    if guesses and "higher" in feedback:
        lo = guesses[-1] + 1
    elif guesses and "lower" in feedback:
        hi = guesses[-1] - 1
    return type_into(field, str((lo + hi) // 2))


SOLVERS: Solvers = {
    "miniwob.text-transform": text_transform,
    "miniwob.copy-paste": copy_paste,
    "miniwob.copy-paste-2": copy_paste,
    "miniwob.find-word": find_word,
    "miniwob.scroll-text": scroll_text,
    "miniwob.read-table": read_table,
    "miniwob.read-table-2": read_table_2,
    "miniwob.simple-algebra": simple_algebra,
    "miniwob.buy-ticket": buy_ticket,
    "miniwob.odd-or-even": odd_or_even,
    "miniwob.generate-number": generate_number,
    "miniwob.guess-number": guess_number,
}
