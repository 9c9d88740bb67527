"""uiautomator XML -> the UI element graph the planner, critic and validator see.

Nodes are the elements a person could perceive or act on (text, description, resource id, or
clickable/checkable/focusable/scrollable); they are numbered in document order, which is the
number shown on the set-of-marks screenshot. A node is named by its text, else its description,
else its resource id; a text field by its label (hint, description or resource id), and it holds
its value in `text` (always, `""` when empty), so typing does not rename it.

As on the web (`envs/web/elements.py`), a node has `bbox` always and the rest only where it
differs from the default for its kind (`DEFAULTS`; a reader uses `node.get(key, default)`), so
that its line in a prompt says what is particular about it: no `enabled=True`, `focused=False`,
... on every line. Kind by kind: `class` only where it is not the stock widget its kind names
(`android.widget.Switch` for `switch`); `checked` on every checkable node (off is news there);
`text`, `desc` and `hint` only where they are not the node's name (a field's `text` always);
`package` on the first node (the app in front) and elsewhere only where it differs from it.
Each node's `bbox` is `[x, y, w, h]` in screen pixels, the project's one box convention (uiautomator itself writes corners,
`[x1,y1][x2,y2]`, which is converted here and nowhere else). Relations: `child_of` (nearest
kept ancestor), and `above` and `left_of` between siblings.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from agentloop.errors import AgentLoopError
from agentloop.scene import Node, Relation, SceneGraph

_BOUNDS = re.compile(r"\[(-?\d+),(-?\d+)\]\[(-?\d+),(-?\d+)\]")
_FLAGS = ("clickable", "checkable", "checked", "enabled", "focused", "scrollable")
# What a node has unless it says otherwise; a node's attrs hold only what differs from these.
DEFAULTS: dict[str, Any] = {
    "class": "", "resource_id": "", "text": "", "desc": "", "hint": "", "package": "", "clickable": False,
    "checkable": False, "checked": False, "enabled": True, "focused": False, "scrollable": False, "editable": False}
# The packages of the stock widgets, whose class the node's kind already names.
_STOCK = ("android.widget.", "android.view.")
# An element without any of these, and without text, is layout only: nothing to see or touch.
_KEEP_FLAGS = ("clickable", "checkable", "focusable", "scrollable")


class HierarchyError(AgentLoopError):
    """The device's window hierarchy could not be read (not XML, or malformed bounds)."""


def parse_bounds(s: str) -> list[int]:
    """uiautomator's `[x1,y1][x2,y2]` as `[x, y, w, h]` in pixels."""
    m = _BOUNDS.fullmatch(s.strip())
    if not m:
        raise HierarchyError(f"bad bounds {s!r}")
    x1, y1, x2, y2 = (int(g) for g in m.groups())
    # Elements scrolled partly off screen can report inverted corners: they cover no pixels.
    return [x1, y1, max(0, x2 - x1), max(0, y2 - y1)]


def _kept(a: dict[str, str]) -> bool:
    return bool(a.get("text") or a.get("content-desc") or a.get("resource-id")) or any(
        a.get(f) == "true" for f in _KEEP_FLAGS)


def _editable(cls: str) -> bool:
    """A text field: an EditText or one of its subclasses that keep the name."""
    return cls.rsplit(".", 1)[-1].endswith("EditText") or cls.endswith("AutoCompleteTextView")


def _node(nid: str, a: dict[str, str]) -> Node:
    cls, text, hint = a.get("class", ""), a.get("text", ""), a.get("hint", "")
    rid = a.get("resource-id", "")
    attrs: dict[str, Any] = {
        "class": cls, "resource_id": rid, "text": text, "desc": a.get("content-desc", ""),
        "bbox": parse_bounds(a.get("bounds", "[0,0][0,0]")), "package": a.get("package", ""),
    }
    attrs.update({f: a.get(f) == "true" for f in _FLAGS})
    if _editable(cls):
        # A field is named by what it is for, never by what it holds: its hint (dumped from
        # API 26 by androidx's dumper, Android 16's `uiautomator dump`), else its description,
        # else its resource id. `text` is its value; an empty field showing its hint holds "".
        attrs["editable"], attrs["hint"] = True, hint
        attrs["text"] = "" if hint and text == hint else text
        name = hint or a.get("content-desc") or rid.rsplit("/", 1)[-1]
    else:
        name = text or a.get("content-desc") or rid.rsplit("/", 1)[-1]
    kind = cls.rsplit(".", 1)[-1].lower() or "view"
    return Node(id=nid, kind=kind, name=name, attrs=_informative(attrs, name))


def _informative(attrs: dict[str, Any], name: str) -> dict[str, Any]:
    """`attrs` less what the node's kind and name already say (see the module's docstring)."""
    keep = {"bbox": attrs["bbox"]}
    field, checkable = attrs.get("editable", False), attrs["checkable"]
    for key, default in DEFAULTS.items():
        value = attrs.get(key, default)
        if key == "class" and value.startswith(_STOCK):
            continue  # the kind names it
        if key in ("text", "desc", "hint") and value == name and not (key == "text" and field):
            continue  # it is the name
        if value != default or (key == "text" and field) or (key == "checked" and checkable):
            keep[key] = value
    return keep


def parse(xml: str) -> SceneGraph:
    """The element graph of one `uiautomator dump`."""
    try:
        root = ET.fromstring(xml.strip().encode("utf-8"))
    except ET.ParseError as e:
        raise HierarchyError(f"the UI hierarchy is not valid XML: {e}") from e
    nodes: list[Node] = []
    rels: list[Relation] = []
    kids: dict[str, list[Node]] = {}
    # A stack, not recursion: no depth of nesting (web views nest deeply) reaches Python's limit.
    todo: list[tuple[ET.Element, str | None]] = [(root, None)]
    while todo:
        el, parent = todo.pop()
        nid = parent
        if el.tag == "node" and _kept(el.attrib):
            node = _node(str(len(nodes)), el.attrib)
            nodes.append(node)
            nid = node.id
            if parent is not None:
                rels.append(Relation(src=nid, rel="child_of", dst=parent))
                kids.setdefault(parent, []).append(node)
        todo.extend((c, nid) for c in reversed(el))
    for siblings in kids.values():
        rels.extend(_layout(siblings))
    # The app in front is said once, by the first node; another node names its package only
    # where it is another app's (a keyboard, a system dialog).
    front = nodes[0].get("package", "") if nodes else ""
    for n in nodes[1:]:
        if n.get("package") == front:
            del n.attrs["package"]
    return SceneGraph(nodes=nodes, relations=rels)


def _layout(siblings: list[Node]) -> list[Relation]:
    """`above` / `left_of` between siblings whose boxes do not overlap on that axis."""
    out = []
    for i, a in enumerate(siblings):
        ax, ay, aw, ah = a.attrs["bbox"]
        for b in siblings[i + 1:]:
            bx, by, _, _ = b.attrs["bbox"]
            if ay + ah <= by:
                out.append(Relation(src=a.id, rel="above", dst=b.id))
            elif ax + aw <= bx:
                out.append(Relation(src=a.id, rel="left_of", dst=b.id))
    return out


def center(node: Node) -> tuple[int, int]:
    """The pixel at the middle of a node's box: where a tap on it lands."""
    x, y, w, h = node.attrs["bbox"]
    return x + w // 2, y + h // 2


def label(node: Node) -> str:
    """What an element shows (its text, else its description); "" for a text field, whose name
    is its label, and for an element named only by its resource id."""
    rid = str(node.get("resource_id", "")).rsplit("/", 1)[-1]
    return "" if node.get("editable") or node.name == rid else node.name


def to_text(scene: SceneGraph) -> str:
    """One line per element, its box last (screen pixels, what `click` and `swipe` take):
    `[3] switch 'ON' id=switch_widget clickable checked @[465,140,60,60]`; a text field by its
    label, then its value: `[5] edittext 'hour' value='07' id=hour clickable focused @[...]`."""
    lines = []
    for n in scene.nodes:
        a = n.attrs
        if a.get("editable"):
            head = (f" {n.name!r}" if n.name else "") + f" value={a.get('text', '')!r}"
        else:
            shown = label(n)
            head = f" {shown!r}" if shown else ""
        rid = str(a.get("resource_id", "")).rsplit("/", 1)[-1]
        flags = [f for f in ("clickable", "checkable", "checked", "focused", "scrollable") if a.get(f)]
        if not a.get("enabled", True):
            flags.append("disabled")
        box = ",".join(str(v) for v in a.get("bbox", ()))
        lines.append(f"[{n.id}] {n.kind}{head}" + (f" id={rid}" if rid else "")
                     + (" " + " ".join(flags) if flags else "") + (f" @[{box}]" if box else ""))
    return "\n".join(lines)
