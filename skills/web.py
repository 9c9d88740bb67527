"""The web vocabulary: what an agent can do on a page, addressed by element-graph ids.

Preconditions read the element graph (see `agentloop.envs.web.elements` for its schema);
expected effects are predicates on the next graph. The env grounds each call against the live
page as well and raises typed `ActionError`s (`ErrorKind.NO_ELEMENT`, `NOT_VISIBLE`, `COVERED`,
`MISSED`, `NOT_EDITABLE`, `OFF_SCREEN`, `NAVIGATION_BLOCKED`, `TIMEOUT`, `BROWSER`).

Beside the element skills, the pixel skills (`click_at`, `double_click_at`, `hover_at`,
`type_at`, `scroll_at`, `drag_at`) act at a point `(x, y)` of the screenshot: pixels from its
top-left corner, the same space as every node's `bbox` and the set-of-marks image (the
screenshot is the viewport at one pixel per CSS pixel), for models that ground in pixels.
"""

from __future__ import annotations

from enum import Enum

from agentloop.effects import Effect, attr, changed
from agentloop.scene import SceneGraph
from agentloop.skills.web_args import (  # re-exported: the env's executors take them from here
    DragArgs,
    DragAtArgs,
    DragPathArgs,
    ElementArgs,
    ElementId,
    GotoArgs,
    PointArgs,
    PressArgs,
    ScrollArgs,
    ScrollAtArgs,
    SelectArgs,
    SetValueArgs,
    TypeArgs,
    TypeAtArgs,
    WaitArgs,
)
from agentloop.skills.web_effects import (
    AWAY,
    KEY_STEPS,
    PAGE_KIND,
    at_end,
    click_effect,
    differs,
    node_at,
    or_ended,
    select_effect,
)
from agentloop.skillset import Skill, SkillSet

__all__ = ["WEB_SKILLS", "DragArgs", "DragAtArgs", "DragPathArgs", "ElementArgs", "ElementId", "GotoArgs",
           "PointArgs", "PressArgs", "ScrollArgs", "ScrollAtArgs", "SelectArgs", "SetValueArgs", "TypeArgs",
           "TypeAtArgs", "WaitArgs"]


class Rel(str, Enum):
    """The relations of the element graph (see the web env's `elements` module)."""

    CHILD_OF = "child_of"  # to the nearest reported ancestor
    LEFT_OF = "left_of"  # on overlapping rows
    RIGHT_OF = "right_of"
    ABOVE = "above"  # on overlapping columns
    BELOW = "below"
    NEAR = "near"  # centres within a few tens of pixels


def _away(scene: SceneGraph, eid: str) -> bool:
    """Seen earlier in the episode and now outside the viewport: the env scrolls it back into view."""
    return eid in (scene.meta.get(AWAY) or ())


def _need(scene: SceneGraph, eid: str, *, editable: bool = False, enabled: bool = True) -> str | None:
    n = scene.node(eid)
    if n is None:
        return None if _away(scene, eid) else f"there is no element {eid} in view"
    if n.kind == PAGE_KIND:
        return f"{eid} is the page itself, not one of its elements"
    # A node clipped by its scroll box is no reason to refuse: the env scrolls it into view
    # before it acts (the graph reports clipped nodes only where a scroll box can reveal them).
    if not n.get("visible", True) and not n.get("clipped"):
        return f"element {eid} is not visible"
    if enabled and n.get("disabled"):
        return f"element {eid} is disabled"
    if editable and not n.get("editable"):
        return f"element {eid} ({n.kind}) is not editable"
    return None


class Click(Skill):
    """Click an element."""

    name = "click"
    Args = ElementArgs

    def precondition(self, scene: SceneGraph, args: ElementArgs) -> str | None:
        return _need(scene, args.element)

    def expected_effect(self, scene: SceneGraph, args: ElementArgs) -> list[Effect]:
        return [click_effect(scene, args.element)]


class Type(Skill):
    """Type text into a text field: the text replaces what the field holds (it does not append)."""

    name = "type"
    Args = TypeArgs

    def precondition(self, scene: SceneGraph, args: TypeArgs) -> str | None:
        return _need(scene, args.element, editable=True)

    def expected_effect(self, scene: SceneGraph, args: TypeArgs) -> list[Effect]:
        return [or_ended(attr(args.element, "value", args.text))]


class Select(Skill):
    """Choose an option of a drop-down list (its `options` lists them), by its label or value."""

    name = "select"
    Args = SelectArgs

    def precondition(self, scene: SceneGraph, args: SelectArgs) -> str | None:
        why, n = _need(scene, args.element), scene.node(args.element)
        # The env selects in a <select> only (a jQuery UI menu is a listbox too, but is clicked).
        if why is None and n is not None and n.get("tag", "select") != "select":
            return f"element {args.element} is not a drop-down list"
        return why

    def expected_effect(self, scene: SceneGraph, args: SelectArgs) -> list[Effect]:
        return [select_effect(args.element, args.option)]


class Check(Skill):
    """Tick a checkbox or radio button."""

    name = "check"
    Args = ElementArgs

    def precondition(self, scene: SceneGraph, args: ElementArgs) -> str | None:
        # One checked already is no reason to refuse: the env leaves it so, and it stays checked.
        return _need(scene, args.element)

    def expected_effect(self, scene: SceneGraph, args: ElementArgs) -> list[Effect]:
        return [or_ended(attr(args.element, "checked", True))]


class Uncheck(Skill):
    """Untick a checkbox."""

    name = "uncheck"
    Args = ElementArgs

    def precondition(self, scene: SceneGraph, args: ElementArgs) -> str | None:
        # One unchecked already is no reason to refuse: the env leaves it so.
        return _need(scene, args.element)

    def expected_effect(self, scene: SceneGraph, args: ElementArgs) -> list[Effect]:
        return [or_ended(attr(args.element, "checked", False))]


class Hover(Skill):
    """Move the mouse over an element."""

    name = "hover"
    Args = ElementArgs

    def precondition(self, scene: SceneGraph, args: ElementArgs) -> str | None:
        return _need(scene, args.element, enabled=False)


class Scroll(Skill):
    """Scroll the page, or inside a scroll box, by `amount` pixels (a box's `scroll` is [x, y, max_x, max_y] px).

    `scroll`: how far the box is scrolled right and down now, and how far it can be, in pixels."""

    name = "scroll"
    Args = ScrollArgs

    def precondition(self, scene: SceneGraph, args: ScrollArgs) -> str | None:
        return _need(scene, args.element, enabled=False) if args.element else None


class Press(Skill):
    """Press a key or chord, optionally on an element (focused first, not clicked); on a slider an arrow is one step.

    On a slider: arrows move it one step, PageUp/PageDown a fifth of its range, Home/End to its ends."""

    name = "press"
    Args = PressArgs

    def precondition(self, scene: SceneGraph, args: PressArgs) -> str | None:
        # It only focuses the element: a disabled, covered or clipped one may still take keys.
        if args.element and scene.node(args.element) is None and not _away(scene, args.element):
            return f"there is no element {args.element} in view"
        return None

    def expected_effect(self, scene: SceneGraph, args: PressArgs) -> list[Effect]:
        n = scene.node(args.element) if args.element else None
        step = KEY_STEPS.get(args.key)
        if n is None or step is None or n.kind not in ("slider", "spinbutton"):
            return []  # what another key does is the page's to say
        return [] if at_end(n, step) else [or_ended(differs(n.id, "value", n.get("value")))]


class Drag(Skill):
    """Drag an element onto another."""

    name = "drag"
    Args = DragArgs

    def precondition(self, scene: SceneGraph, args: DragArgs) -> str | None:
        return _need(scene, args.element) or _need(scene, args.target, enabled=False)

    def expected_effect(self, scene: SceneGraph, args: DragArgs) -> list[Effect]:
        return [changed()]


class Goto(Skill):
    """Open a URL on one of the task's own origins."""

    name = "goto"
    Args = GotoArgs

    def expected_effect(self, scene: SceneGraph, args: GotoArgs) -> list[Effect]:
        return [changed()]


class Wait(Skill):
    """Let `ms` milliseconds of page time pass (timers fire, menus open), then let it settle."""

    name = "wait"
    Args = WaitArgs


def _in_view(scene: SceneGraph, *points: tuple[float, float]) -> str | None:
    w, h = scene.meta.get("viewport") or (None, None)
    if w is None or h is None:
        return None
    for x, y in points:
        if not (0 <= x < w and 0 <= y < h):
            return f"({x:g}, {y:g}) is outside the screenshot ({w}x{h} pixels)"
    return None


class ClickAt(Skill):
    """Click at a point (x, y) of the screenshot."""

    name = "click_at"
    Args = PointArgs

    def precondition(self, scene: SceneGraph, args: PointArgs) -> str | None:
        return _in_view(scene, (args.x, args.y))

    def expected_effect(self, scene: SceneGraph, args: PointArgs) -> list[Effect]:
        return [click_effect(scene, node_at(scene, args.x, args.y))]


class DoubleClickAt(Skill):
    """Double-click at a point (x, y) of the screenshot."""

    name = "double_click_at"
    Args = PointArgs

    def precondition(self, scene: SceneGraph, args: PointArgs) -> str | None:
        return _in_view(scene, (args.x, args.y))

    def expected_effect(self, scene: SceneGraph, args: PointArgs) -> list[Effect]:
        return [changed()]


class HoverAt(Skill):
    """Move the mouse to a point (x, y) of the screenshot."""

    name = "hover_at"
    Args = PointArgs

    def precondition(self, scene: SceneGraph, args: PointArgs) -> str | None:
        return _in_view(scene, (args.x, args.y))


class TypeAt(Skill):
    """Click the text field at (x, y) of the screenshot and type text, replacing its value."""

    name = "type_at"
    Args = TypeAtArgs

    def precondition(self, scene: SceneGraph, args: TypeAtArgs) -> str | None:
        return _in_view(scene, (args.x, args.y))

    def expected_effect(self, scene: SceneGraph, args: TypeAtArgs) -> list[Effect]:
        eid = node_at(scene, args.x, args.y)
        n = scene.node(eid) if eid else None
        return [or_ended(attr(n.id, "value", args.text))] if n is not None and n.get("editable") else [changed()]


class ScrollAt(Skill):
    """Scroll what is under the point (x, y) of the screenshot, as a mouse wheel does."""

    name = "scroll_at"
    Args = ScrollAtArgs

    def precondition(self, scene: SceneGraph, args: ScrollAtArgs) -> str | None:
        return _in_view(scene, (args.x, args.y))


class DragAt(Skill):
    """Press at (x, y) of the screenshot, move straight to (to_x, to_y), release (pixels; a curve: drag_path)."""

    name = "drag_at"
    Args = DragAtArgs

    def precondition(self, scene: SceneGraph, args: DragAtArgs) -> str | None:
        return _in_view(scene, (args.x, args.y), (args.to_x, args.to_y))

    def expected_effect(self, scene: SceneGraph, args: DragAtArgs) -> list[Effect]:
        return [_stroke_effect(scene, args.x, args.y)]


def _stroke_effect(scene: SceneGraph, x: float, y: float) -> Effect:
    """A stroke on a canvas draws: the canvas's pixels change (the graph keeps their digest);
    elsewhere the page changes somehow (an SVG drawing gains a path)."""
    eid = node_at(scene, x, y)
    n = scene.node(eid) if eid else None
    if n is not None and n.kind == "canvas" and n.get("pixels") is not None:
        return or_ended(differs(n.id, "pixels", n.get("pixels")))
    return changed()


class SetValue(Skill):
    """Set a slider to a value, in its own units from its min to its max (done with its keys)."""

    name = "set_value"
    Args = SetValueArgs

    def precondition(self, scene: SceneGraph, args: SetValueArgs) -> str | None:
        why, n = _need(scene, args.element), scene.node(args.element)
        if why is not None or n is None:
            return why
        if n.kind != "slider":
            return f"element {args.element} is a {n.kind}, not a slider"
        lo, hi = _number(n.get("min")), _number(n.get("max"))
        if lo is not None and hi is not None and not lo <= args.value <= hi:
            return f"{args.value:g} is outside slider {args.element}'s range ({lo:g} to {hi:g})"
        return None

    def expected_effect(self, scene: SceneGraph, args: SetValueArgs) -> list[Effect]:
        return [or_ended(attr(args.element, "value", f"{args.value:g}"))]


class DragPath(Skill):
    """Drag through points of the screenshot in turn, pressed at the first, released at the last (to draw)."""

    name = "drag_path"
    Args = DragPathArgs

    def precondition(self, scene: SceneGraph, args: DragPathArgs) -> str | None:
        return _in_view(scene, *args.points)

    def expected_effect(self, scene: SceneGraph, args: DragPathArgs) -> list[Effect]:
        return [_stroke_effect(scene, *args.points[0])]


def _number(v: object) -> float | None:
    try:
        return float(str(v))
    except ValueError:
        return None


WEB_SKILLS = SkillSet([Click, Type, Select, Check, Uncheck, Hover, Scroll, Press, Drag, Goto, Wait,
                       ClickAt, DoubleClickAt, HoverAt, TypeAt, ScrollAt, DragAt, DragPath, SetValue])
