"""What every MiniWoB++ solver reads and writes: the goal's parts, the task area's nodes,
and the skill calls it answers with.

Solvers read only what a model reads (the goal, the element graph, the text view, the
screenshot); page text is parsed, never evaluated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import Enum

from agentloop.calls import SkillCall
from agentloop.context import Context
from agentloop.envs.web.solving import Solver
from agentloop.errors import ActionError
from agentloop.scene import Node, SceneGraph
from agentloop.skills.web import WEB_SKILLS, Rel

Action = SkillCall | str
WAIT = "wait(ms=200)"  # nothing to do yet: let a little page time pass
Solvers = dict[str, Solver]  # task name or glob -> solver, one table per module

# MiniWoB's reward display sits right of the 160 px task area; it is not part of the task.
TASK_AREA_WIDTH = 162


class Kind(str, Enum):
    """The element kinds solvers look for (see the web env's `elements` module)."""

    BUTTON = "button"
    LINK = "link"
    TEXTBOX = "textbox"
    CHECKBOX = "checkbox"
    RADIO = "radio"
    COMBOBOX = "combobox"
    LISTBOX = "listbox"
    OPTION = "option"
    TEXT = "text"
    LABEL = "label"
    CELL = "cell"
    GENERIC = "generic"
    TAB = "tab"
    HEADING = "heading"
    MENUITEM = "menuitem"
    IMG = "img"
    CANVAS = "canvas"
    SLIDER = "slider"
    SPINBUTTON = "spinbutton"
    LISTITEM = "listitem"
    TABLE = "table"
    ROW = "row"
    SCROLLABLE = "scrollable"
    SHAPE = "shape"


class Skill(str, Enum):
    """The web skills solvers call."""

    CLICK = "click"
    TYPE = "type"
    SELECT = "select"
    HOVER = "hover"
    PRESS = "press"
    SCROLL = "scroll"
    DRAG = "drag"
    WAIT = "wait"
    CLICK_AT = "click_at"
    DRAG_AT = "drag_at"
    DRAG_PATH = "drag_path"
    HOVER_AT = "hover_at"


def canonical(action: SkillCall | str) -> str:
    """A call as the loop records it: its arguments in the skill's own order. A solver's memory
    compares its calls with the history's as text, and the loop records
    `scroll(element=…, direction=…)` as `scroll(direction=…, element=…)`."""
    try:
        return str(WEB_SKILLS.bind(action).call)
    except ActionError:  # not a valid web call: its text as it is
        return str(action)


def call(skill: Skill, **args: object) -> SkillCall:
    made = SkillCall(name=skill.value, args=dict(args))
    try:
        return WEB_SKILLS.bind(made).call  # in the skill's own argument order, as the loop records it
    except ActionError:
        return made


def click(n: Node) -> SkillCall:
    return call(Skill.CLICK, element=n.id)


def activate(ctx: Context, n: Node) -> SkillCall:
    """Click `n`; if the last try at clicking it was refused (another element covers it, or
    the press landed elsewhere), press Enter on it instead: a focused button answers Enter,
    and no cover is in the way of a key."""
    last = ctx.history[-1] if ctx.history else None
    if n.kind == Kind.BUTTON and last is not None and last.action_error and last.action == str(click(n)):
        return call(Skill.PRESS, key="Enter", element=n.id)
    return click(n)


def type_into(n: Node, text: str) -> SkillCall:
    return call(Skill.TYPE, element=n.id, text=text)


def wait(ms: int) -> SkillCall:
    return call(Skill.WAIT, ms=ms)


def quoted(goal: str) -> list[str]:
    """The goal's double-quoted parts, in order."""
    return re.findall(r'"([^"]*)"', goal)


def ordinal(text: str) -> int | None:
    """The first ordinal ("3rd") in `text`, 1-based."""
    m = re.search(r"(\d+)(?:st|nd|rd|th)\b", text)
    return int(m.group(1)) if m else None


def _in_reward_panel(n: Node) -> bool:
    box = n.get("bbox") or [0, 0, 0, 0]
    return box[0] >= TASK_AREA_WIDTH


def nodes(ctx: Context, kinds: Iterable[str] | None = None) -> list[Node]:
    """The task area's nodes (optionally of some kinds), in page order."""
    scene = ctx.scene or SceneGraph()
    want = {str(k.value if isinstance(k, Kind) else k) for k in kinds} if kinds is not None else None
    return [n for n in scene.nodes if not _in_reward_panel(n) and n.kind != Kind.CANVAS
            and (want is None or n.kind in want)]


def instruction(ctx: Context) -> Node | None:
    """The task's instruction box (MiniWoB's #query, at the top of the task area)."""
    return next((n for n in nodes(ctx) if n.get("dom_id") == "query"), None)


def body(ctx: Context, kinds: Iterable[str] | None = None) -> list[Node]:
    """The task area's nodes below the instruction (its emphasised parts are nodes too)."""
    q = instruction(ctx)
    if q is None:
        return nodes(ctx, kinds)
    qx, qy, qw, qh = box(q)
    return [n for n in nodes(ctx, kinds) if n.id != q.id and not (
        qx <= centre(n)[0] <= qx + qw and qy <= centre(n)[1] <= qy + qh)]


def find(ctx: Context, name: str, kinds: Iterable[str] | None = None, exact: bool = True) -> Node | None:
    """The first task-area node named `name` (case-insensitive; `exact=False`: containing it);
    one written as asked comes first (a page may hold "okay" and "Okay", and mean one of them)."""
    want = name.strip()
    found = [n for n in nodes(ctx, kinds)
             if (n.name.strip().lower() == want.lower() if exact else want.lower() in n.name.strip().lower())]
    same = [n for n in found if (n.name.strip() == want if exact else want in n.name)]
    return (same or found or [None])[0]


def parent_of(ctx: Context, n: Node) -> Node | None:
    scene = ctx.scene or SceneGraph()
    dst = next((r.dst for r in scene.relations if r.src == n.id and r.rel == Rel.CHILD_OF), None)
    return scene.node(dst) if dst else None


def box(n: Node) -> tuple[float, float, float, float]:
    x, y, w, h = n.get("bbox") or (0, 0, 0, 0)
    return float(x), float(y), float(w), float(h)


def centre(n: Node) -> tuple[float, float]:
    x, y, w, h = box(n)
    return x + w / 2, y + h / 2


def same_row(a: Node, b: Node) -> bool:
    _, ay, _, ah = box(a)
    _, by, _, bh = box(b)
    return ay < by + bh and by < ay + ah


def textboxes(ctx: Context) -> list[Node]:
    """The editable fields, whatever their role (textbox, spinbutton, searchbox, combobox)."""
    return [n for n in nodes(ctx) if n.get("editable") and n.get("tag") in ("input", "textarea")]


def submit(ctx: Context, label: str = "submit") -> Action:
    """Click the button (or, failing one, anything) named `label`; a button whose click was
    refused (something grew over it) gets Enter instead."""
    n = find(ctx, label, [Kind.BUTTON]) or find(ctx, label, None, exact=False)
    return activate(ctx, n) if n else WAIT


def fill_then(ctx: Context, values: list[str], label: str = "submit") -> Action:
    """Type `values` into the editable text boxes in page order, then click `label`."""
    for b, v in zip(textboxes(ctx), values):
        if b.get("value") != v:
            return type_into(b, v)
    return submit(ctx, label)


def done_actions(ctx: Context) -> set[str]:
    """The calls that ran without an error this episode, as text in the skill's own argument order."""
    return {canonical(h.action) for h in ctx.history if not h.action_error}


def untried(ctx: Context, candidates: list[Node]) -> Node | None:
    """The first of `candidates` not clicked yet this episode (ids are stable for the episode)."""
    done = done_actions(ctx)
    return next((n for n in candidates if str(click(n)) not in done), None)


def last_action(ctx: Context) -> str | None:
    return canonical(ctx.history[-1].action) if ctx.history else None
