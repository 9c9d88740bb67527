"""Scripted solvers for common MiniWoB++ families, reading only the goal and the element graph.

Each solver is a function of the loop's `Context` returning the next skill call; it is
stateless (it re-reads the page every step), so it recovers when a step did not land.
"""

from __future__ import annotations

import re

from agentloop.roles.context import Context
from agentloop.scene import Node, SceneGraph
from agentloop.skills import SkillCall

from ..task import register_solver


def _q(goal: str) -> list[str]:
    return re.findall(r'"([^"]*)"', goal)


def _nodes(ctx: Context) -> list[Node]:
    scene = ctx.scene or SceneGraph()
    # The MiniWoB reward display below the task area is not part of the task.
    return [n for n in scene.nodes if n.kind not in ("canvas",)]


def _find(ctx: Context, name: str, kinds: tuple[str, ...] | None = None, exact: bool = True) -> Node | None:
    norm = name.strip().lower()
    for n in _nodes(ctx):
        if kinds and n.kind not in kinds:
            continue
        if (n.name.strip().lower() == norm) if exact else (norm in n.name.lower()):
            return n
    return None


def click(n: Node) -> SkillCall:
    return SkillCall(name="click", args={"element": n.id})


def _submit(ctx: Context, label: str = "submit") -> SkillCall | str:
    n = _find(ctx, label, ("button",)) or _find(ctx, label, None, exact=False)
    return click(n) if n else "wait()"


def click_named(ctx: Context) -> SkillCall | str:
    names = _q(ctx.goal)
    target = names[0] if names else ctx.goal
    n = _find(ctx, target, ("button", "link", "generic", "tab")) or _find(ctx, target)
    return click(n) if n else "wait()"


def click_button_sequence(ctx: Context) -> SkillCall | str:
    done = sum(1 for h in ctx.history if not h.action_error)
    want = "ONE" if done == 0 else "TWO"
    n = _find(ctx, want, ("button",))
    return click(n) if n else "wait()"


def click_test(ctx: Context) -> SkillCall | str:
    m = re.search(r"button (\w+)", ctx.goal)
    n = _find(ctx, m.group(1), ("button",)) if m else None
    n = n or next((x for x in _nodes(ctx) if x.kind == "button"), None)
    return click(n) if n else "wait()"


def click_dialog(ctx: Context) -> SkillCall | str:
    names = _q(ctx.goal)
    want = names[0] if names else "x"
    for n in _nodes(ctx):
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
    n = _find(ctx, f"Tab #{m.group(1)}", ("tab", "link", "generic")) if m else None
    return click(n) if n else "wait()"


def click_tab_2(ctx: Context) -> SkillCall | str:
    names = _q(ctx.goal)
    link = _find(ctx, names[0], ("link", "generic")) if names else None
    if link is not None:
        return click(link)
    tried = {h.action for h in ctx.history}
    for n in _nodes(ctx):
        if n.kind in ("tab", "link") and n.name.startswith("Tab #") and str(click(n)) not in tried:
            return click(n)
    return "wait()"


def _items(goal: str) -> list[str]:
    m = re.search(r"Select (.*?) and click Submit", goal)
    if not m or m.group(1).strip().lower() == "nothing":
        return []
    return [s.strip() for s in re.split(r",\s*|\s+and\s+", m.group(1)) if s.strip()]


def click_checkboxes(ctx: Context) -> SkillCall | str:
    want = {w.lower() for w in _items(ctx.goal)}
    scene = ctx.scene or SceneGraph()
    labels = {r.dst: r.src for r in scene.relations if r.rel == "child_of"}
    for n in _nodes(ctx):
        if n.kind not in ("checkbox", "radio"):
            continue
        parent = scene.node(next((r.dst for r in scene.relations if r.src == n.id and r.rel == "child_of"), ""))
        label = (parent.name if parent is not None else n.name).strip().lower()
        should = label in want
        if bool(n.get("checked")) != should:
            return click(n)
    return _submit(ctx)


def click_option(ctx: Context) -> SkillCall | str:
    return click_checkboxes(ctx)


def choose_list(ctx: Context) -> SkillCall | str:
    m = re.search(r"Select (.*?) from the list", ctx.goal)
    sel = next((n for n in _nodes(ctx) if n.kind == "combobox"), None)
    if m and sel is not None and sel.get("value") != m.group(1):
        return SkillCall(name="select", args={"element": sel.id, "option": m.group(1)})
    return _submit(ctx)


def click_collapsible(ctx: Context) -> SkillCall | str:
    # The section is collapsed at the start: open its header once, then submit.
    if not any(not h.action_error for h in ctx.history):
        head = next((n for n in _nodes(ctx) if n.name.startswith("Section")
                     and n.kind in ("tab", "heading", "button", "generic")), None)
        if head is not None:
            return click(head)
    return _submit(ctx)


def _textboxes(ctx: Context) -> list[Node]:
    return [n for n in _nodes(ctx) if n.kind == "textbox" and n.get("editable")]


def _fill_then(ctx: Context, values: list[str], submit: str = "submit") -> SkillCall | str:
    boxes = _textboxes(ctx)
    for box, v in zip(boxes, values):
        if box.get("value") != v:
            return SkillCall(name="type", args={"element": box.id, "text": v})
    return _submit(ctx, submit)


def enter_text(ctx: Context) -> SkillCall | str:
    return _fill_then(ctx, _q(ctx.goal)[:1])


def enter_password(ctx: Context) -> SkillCall | str:
    pw = _q(ctx.goal)[0]
    return _fill_then(ctx, [pw, pw])


def login_user(ctx: Context) -> SkillCall | str:
    q = _q(ctx.goal)
    boxes = _textboxes(ctx)
    return _fill_then(ctx, q[:2], "login") if len(boxes) >= 2 else "wait()"


def focus_text(ctx: Context) -> SkillCall | str:
    m = re.search(r"(\d)(?:st|nd|rd|th)", ctx.goal)
    boxes = _textboxes(ctx)
    idx = int(m.group(1)) - 1 if m else 0
    return click(boxes[idx]) if idx < len(boxes) else "wait()"


def click_widget(ctx: Context) -> SkillCall | str:
    kind = _q(ctx.goal)[0]
    for n in _nodes(ctx):
        tag, typ = n.get("tag"), n.kind
        if (kind == "button" and typ == "button") or (kind == "checkbox" and typ == "checkbox") or \
           (kind == "radio" and typ == "radio") or (kind == "textarea" and tag == "textarea") or \
           (kind == "text" and tag == "input" and typ == "textbox"):
            return click(n)
    return "wait()"


def navigate_tree(ctx: Context) -> SkillCall | str:
    target = _q(ctx.goal)[0]
    n = _find(ctx, target, ("text", "generic", "treeitem", "link", "listitem"))
    if n is not None and n.kind != "listitem":
        return click(n)
    # Expand the next closed folder not tried yet.
    tried = {h.action for h in ctx.history}
    for f in _nodes(ctx):
        if f.get("clickable") and f.get("tag") in ("span", "div", "a") and str(click(f)) not in tried and f.name:
            return click(f)
    return "wait()"


def register() -> None:
    for name, fn in [
        ("miniwob.click-button", click_named), ("miniwob.click-link", click_named),
        ("miniwob.click-button-sequence", click_button_sequence),
        ("miniwob.click-test", click_test), ("miniwob.click-test-2", click_test),
        ("miniwob.click-test-transfer", click_test),
        ("miniwob.click-dialog", click_dialog), ("miniwob.click-dialog-2", click_dialog),
        ("miniwob.click-tab", click_tab), ("miniwob.click-tab-2", click_tab_2),
        ("miniwob.click-tab-2-easy", click_tab_2), ("miniwob.click-tab-2-medium", click_tab_2),
        ("miniwob.click-checkboxes", click_checkboxes), ("miniwob.click-checkboxes-large", click_checkboxes),
        ("miniwob.click-checkboxes-transfer", click_checkboxes), ("miniwob.click-option", click_option),
        ("miniwob.choose-list", choose_list),
        ("miniwob.click-collapsible", click_collapsible), ("miniwob.click-collapsible-nodelay", click_collapsible),
        ("miniwob.enter-text", enter_text), ("miniwob.enter-text-dynamic", enter_text),
        ("miniwob.enter-password", enter_password), ("miniwob.login-user", login_user),
        ("miniwob.focus-text", focus_text), ("miniwob.focus-text-2", focus_text),
        ("miniwob.click-widget", click_widget),
    ]:
        register_solver(name, fn)
