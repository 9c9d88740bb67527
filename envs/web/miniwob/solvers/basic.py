"""Scripted solvers for common MiniWoB++ families, reading the goal and the element graph.

Each solver is a function of the loop's `Context` returning the next skill call. It re-reads
the page every step, so it recovers when a step did not land; the ones that search (tabs,
sections, tree folders) also read the episode's history to open each place only once, and
navigate-tree looks at the screenshot for the one thing the graph does not carry (a folder's
icon). Page text is parsed, never evaluated.
"""

from __future__ import annotations

import re

from agentloop.calls import SkillCall
from agentloop.context import Context
from agentloop.envs.web.miniwob.solvers.common import (
    Solvers,
    activate,
    click,
    fill_then,
    find,
    nodes,
    quoted,
    submit,
    textboxes,
    untried,
)
from agentloop.scene import Node, SceneGraph
from agentloop.skills.web import Rel


def click_named(ctx: Context) -> SkillCall | str:
    names = quoted(ctx.goal)
    target = names[0] if names else ctx.goal
    n = find(ctx, target, ("button", "link", "generic", "tab")) or find(ctx, target)
    return click(n) if n else "wait()"


def click_button_sequence(ctx: Context) -> SkillCall | str:
    done = sum(1 for h in ctx.history if not h.action_error)
    want = "ONE" if done == 0 else "TWO"
    n = find(ctx, want, ("button",))
    return activate(ctx, n) if n else "wait()"


def click_test(ctx: Context) -> SkillCall | str:
    m = re.search(r"button (\w+)", ctx.goal)
    n = find(ctx, m.group(1), ("button",)) if m else None
    n = n or next((x for x in nodes(ctx) if x.kind == "button"), None)
    return activate(ctx, n) if n else "wait()"


def click_dialog(ctx: Context) -> SkillCall | str:
    names = quoted(ctx.goal)
    want = names[0] if names else "x"
    for n in nodes(ctx):
        if n.kind != "button":
            continue
        label = n.name.strip().lower()
        if want.lower() in ("x", "×"):
            if label in ("close", "×", "x") or "close" in label:
                return click(n)
        elif label == want.lower():
            return click(n)
    return "wait()"


def click_tab(ctx: Context) -> SkillCall | str:
    m = re.search(r"Tab #(\d+)", ctx.goal)
    n = find(ctx, f"Tab #{m.group(1)}", ("tab", "link", "generic")) if m else None
    return click(n) if n else "wait()"


def reveal_and_click(ctx: Context) -> SkillCall | str:
    """Click the link named in quotes; while it is hidden, open the tabs or sections one by
    one (a hidden tab panel or collapsed section is not in the graph, so absence means
    "look elsewhere")."""
    names = quoted(ctx.goal)
    target = names[-1] if names else ""
    link = next((n for n in nodes(ctx) if n.kind in ("link", "generic") and n.name == target
                 and n.get("tag") in ("span", "a")), None)
    if link is not None:
        return click(link)
    n = untried(ctx, [n for n in nodes(ctx) if n.kind == "tab"])
    return click(n) if n else "wait()"


def _items(goal: str) -> list[str]:
    m = re.search(r"Select (.*?) and click Submit", goal)
    if not m or m.group(1).strip().lower() == "nothing":
        return []
    return [s.strip() for s in re.split(r",\s*|\s+and\s+", m.group(1)) if s.strip()]


def click_checkboxes(ctx: Context) -> SkillCall | str:
    want = {w.lower() for w in _items(ctx.goal)}
    scene = ctx.scene or SceneGraph()
    for n in nodes(ctx):
        if n.kind not in ("checkbox", "radio"):
            continue
        parent = scene.node(next((r.dst for r in scene.relations if r.src == n.id and r.rel == Rel.CHILD_OF), ""))
        label = (parent.name if parent is not None else n.name).strip().lower()
        should = label in want
        if bool(n.get("checked")) != should:
            return click(n)
    return submit(ctx)


def click_option(ctx: Context) -> SkillCall | str:
    return click_checkboxes(ctx)


def choose_list(ctx: Context) -> SkillCall | str:
    m = re.search(r"Select (.*?) from the list", ctx.goal)
    sel = next((n for n in nodes(ctx) if n.kind == "combobox"), None)
    if m and sel is not None and sel.get("value") != m.group(1):
        return SkillCall(name="select", args={"element": sel.id, "option": m.group(1)})
    return submit(ctx)


def click_collapsible(ctx: Context) -> SkillCall | str:
    # The section is collapsed at the start: open its header once, then submit.
    if not any(not h.action_error for h in ctx.history):
        head = next((n for n in nodes(ctx) if n.name.startswith("Section")
                     and n.kind in ("tab", "heading", "button", "generic")), None)
        if head is not None:
            return click(head)
    return submit(ctx)


def enter_text(ctx: Context) -> SkillCall | str:
    return fill_then(ctx, quoted(ctx.goal)[:1])


def enter_password(ctx: Context) -> SkillCall | str:
    pw = quoted(ctx.goal)[0]
    return fill_then(ctx, [pw, pw])


def login_user(ctx: Context) -> SkillCall | str:
    q = quoted(ctx.goal)
    boxes = textboxes(ctx)
    return fill_then(ctx, q[:2], "login") if len(boxes) >= 2 else "wait()"


def login_user_popup(ctx: Context) -> SkillCall | str:
    # A popup may open when a field takes focus, disabling the form; its OK ends the episode
    # as a failure, its Cancel closes it for good.
    cancel = find(ctx, "cancel", ("button",))
    if cancel is not None:
        return click(cancel)
    q = quoted(ctx.goal)
    boxes = textboxes(ctx)
    if len(boxes) < 2:
        return "wait()"
    for box, v in zip(boxes, q[:2]):
        if box.get("value") != v:
            return SkillCall(name="type", args={"element": box.id, "text": v})
    return submit(ctx, "ok")


def enter_text_case(ctx: Context) -> SkillCall | str:
    word = quoted(ctx.goal)[0]
    goal = ctx.goal.lower()
    word = word.upper() if "upper case" in goal else word.lower() if "lower case" in goal else word
    return fill_then(ctx, [word])


def focus_text(ctx: Context) -> SkillCall | str:
    m = re.search(r"(\d)(?:st|nd|rd|th)", ctx.goal)
    boxes = textboxes(ctx)
    idx = int(m.group(1)) - 1 if m else 0
    return click(boxes[idx]) if idx < len(boxes) else "wait()"


def click_widget(ctx: Context) -> SkillCall | str:
    kind = quoted(ctx.goal)[0]
    for n in nodes(ctx):
        tag, typ = n.get("tag"), n.kind
        if (kind == "button" and typ == "button") or (kind == "checkbox" and typ == "checkbox") or \
           (kind == "radio" and typ == "radio") or (kind == "textarea" and tag == "textarea") or \
           (kind == "text" and tag == "input" and typ == "textbox"):
            return click(n)
    return "wait()"


def _folder_icon(ctx: Context, n: Node) -> bool:
    """Whether the tree row `n` shows a folder icon. Files and folders are the same kind of
    element in the graph (spans told apart only by a CSS class); the icon is the visible
    difference: a yellow folder versus a white page, drawn in the 16 px left of the name."""
    frame = ctx.frame
    if frame is None:
        return False
    x, y, _, h = (int(v) for v in n.get("bbox"))
    patch = frame[max(y, 0):max(y, 0) + max(h, 1), max(x, 0):max(x, 0) + 16]
    if patch.size == 0:
        return False
    r, g, b = (patch[..., i].astype(int) for i in range(3))
    return int(((r > 200) & (g > 150) & (b < 150)).sum()) >= 16


def navigate_tree(ctx: Context) -> SkillCall | str:
    target = quoted(ctx.goal)[-1] if quoted(ctx.goal) else ""
    rows = [n for n in nodes(ctx) if n.get("tag") == "span" and n.get("clickable") and n.name]
    hit = next((n for n in rows if n.name == target), None)
    if hit is not None:
        return click(hit)
    # Open the folders not opened yet, outermost first; clicking a file that is not the target
    # ends the episode, so only rows with a folder icon are ever clicked while searching.
    folder = untried(ctx, [n for n in rows if _folder_icon(ctx, n)])
    return click(folder) if folder else "wait()"


def click_menu(ctx: Context) -> SkillCall | str:
    """"Select A>B>C": hover each parent to open its submenu (clicking a parent selects it,
    which ends the episode as a failure), then click the leaf."""
    m = re.search(r"Select (.+)$", ctx.goal.strip())
    path = [p.strip() for p in m.group(1).split(">")] if m else []
    items = {n.name: n for n in nodes(ctx) if n.kind == "menuitem"}
    shown = [name for name in path if name in items]
    if not path or not shown:
        return "wait()"
    deepest = max(path.index(name) for name in shown)
    if deepest == len(path) - 1:
        return click(items[path[-1]])
    hover = SkillCall(name="hover", args={"element": items[path[deepest]].id})
    # A submenu opens after a short delay: hover once, then let the page settle.
    last = ctx.history[-1].action if ctx.history else None
    return SkillCall(name="wait", args={"ms": 400}) if last == str(hover) else hover


_ARITH = re.compile(r"(-?\d+)\s*([-+x*])\s*(-?\d+)\s*=")


def simple_arithmetic(ctx: Context) -> SkillCall | str:
    # The problem is parsed and computed here: page text is never evaluated as code.
    for n in nodes(ctx):
        m = _ARITH.search(n.name)
        if m:
            a, op, b = int(m.group(1)), m.group(2), int(m.group(3))
            return fill_then(ctx, [str(a + b if op == "+" else a - b if op == "-" else a * b)])
    return "wait()"


def enter_date(ctx: Context) -> SkillCall | str:
    # A date input's value is ISO (YYYY-MM-DD) whatever the page shows.
    m = re.search(r"(\d\d)/(\d\d)/(\d{4})", ctx.goal)
    return fill_then(ctx, [f"{m.group(3)}-{m.group(1)}-{m.group(2)}"]) if m else "wait()"


def enter_time(ctx: Context) -> SkillCall | str:
    # A time input's value is 24-hour HH:MM; the goal says e.g. "8:22 AM".
    m = re.search(r"(\d{1,2}):(\d\d)\s*([AP]M)", ctx.goal, re.I)
    if not m:
        return "wait()"
    h = int(m.group(1)) % 12 + (12 if m.group(3).upper() == "PM" else 0)
    return fill_then(ctx, [f"{h:02d}:{m.group(2)}"])


SOLVERS: Solvers = {
    "miniwob.click-button": click_named,
    "miniwob.click-link": click_named,
    "miniwob.click-button-sequence": click_button_sequence,
    "miniwob.click-test": click_test,
    "miniwob.click-test-2": click_test,
    "miniwob.click-test-transfer": click_test,
    "miniwob.click-dialog": click_dialog,
    "miniwob.click-dialog-2": click_dialog,
    "miniwob.click-tab": click_tab,
    "miniwob.click-tab-2*": reveal_and_click,
    "miniwob.click-collapsible-2*": reveal_and_click,
    "miniwob.click-checkboxes": click_checkboxes,
    "miniwob.click-checkboxes-large": click_checkboxes,
    "miniwob.click-checkboxes-transfer": click_checkboxes,
    "miniwob.click-option": click_option,
    "miniwob.choose-list": choose_list,
    "miniwob.click-collapsible": click_collapsible,
    "miniwob.click-collapsible-nodelay": click_collapsible,
    "miniwob.enter-text": enter_text,
    "miniwob.enter-text-dynamic": enter_text,
    "miniwob.enter-password": enter_password,
    "miniwob.login-user": login_user,
    "miniwob.login-user-popup": login_user_popup,
    "miniwob.enter-text-2": enter_text_case,
    "miniwob.focus-text": focus_text,
    "miniwob.focus-text-2": focus_text,
    "miniwob.click-widget": click_widget,
    "miniwob.navigate-tree": navigate_tree,
    "miniwob.click-menu": click_menu,
    "miniwob.unicode-test": click_named,
    "miniwob.simple-arithmetic": simple_arithmetic,
    "miniwob.enter-date": enter_date,
    "miniwob.enter-time": enter_time,
}
