"""uiautomator XML -> the UI element graph the planner, critic and validator see.

Nodes are the elements a person could perceive or act on (text, description, resource id, or
clickable/checkable/focusable/scrollable); they are numbered in document order, which is the
number shown on the set-of-marks screenshot. Each node's `bbox` is `[x, y, w, h]` in screen
pixels, the project's one box convention (uiautomator itself writes corners,
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


def _node(nid: str, a: dict[str, str]) -> Node:
    cls = a.get("class", "")
    attrs: dict[str, Any] = {
        "class": cls, "resource_id": a.get("resource-id", ""), "text": a.get("text", ""),
        "desc": a.get("content-desc", ""), "bbox": parse_bounds(a.get("bounds", "[0,0][0,0]")),
        "package": a.get("package", ""),
    }
    attrs.update({f: a.get(f) == "true" for f in _FLAGS})
    name = a.get("text") or a.get("content-desc") or a.get("resource-id", "").rsplit("/", 1)[-1]
    return Node(id=nid, kind=cls.rsplit(".", 1)[-1].lower() or "view", name=name, attrs=attrs)


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


def to_text(scene: SceneGraph) -> str:
    """One line per element: `[3] switch "ON" id=switch_widget clickable checked`."""
    lines = []
    for n in scene.nodes:
        a = n.attrs
        label = a.get("text") or a.get("desc") or ""
        rid = str(a.get("resource_id", "")).rsplit("/", 1)[-1]
        flags = [f for f in ("clickable", "checkable", "checked", "focused", "scrollable") if a.get(f)]
        if not a.get("enabled", True):
            flags.append("disabled")
        lines.append(f"[{n.id}] {n.kind}" + (f" {label!r}" if label else "") + (f" id={rid}" if rid else "")
                     + (" " + " ".join(flags) if flags else ""))
    return "\n".join(lines)
