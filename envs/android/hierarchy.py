"""uiautomator XML -> the UI element graph the planner, critic and validator see.

Nodes are the elements a person could perceive or act on (text, description, resource id, or
clickable/checkable/focusable/scrollable); they are numbered in document order, which is the
number shown on the set-of-marks screenshot. Relations: `child_of` (nearest kept ancestor),
`above` and `left_of` between siblings, and `contains` for a clickable row holding a widget.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from agentloop.errors import AgentLoopError
from agentloop.scene import Node, Relation, SceneGraph

_BOUNDS = re.compile(r"\[(-?\d+),(-?\d+)\]\[(-?\d+),(-?\d+)\]")
_FLAGS = ("clickable", "checkable", "checked", "enabled", "focused", "scrollable")


class HierarchyError(AgentLoopError):
    pass


def parse_bounds(s: str) -> list[int]:
    m = _BOUNDS.fullmatch(s.strip())
    if not m:
        raise HierarchyError(f"bad bounds {s!r}")
    return [int(g) for g in m.groups()]


def parse(xml: str) -> SceneGraph:
    try:
        root = ET.fromstring(xml.strip().encode("utf-8"))
    except ET.ParseError as e:
        raise HierarchyError(f"the UI hierarchy is not valid XML: {e}") from e
    nodes: list[Node] = []
    rels: list[Relation] = []
    kids: dict[str, list[str]] = {}

    def walk(el: ET.Element, parent: str | None) -> None:
        a = el.attrib
        keep = bool(a.get("text") or a.get("content-desc") or a.get("resource-id")) or any(
            a.get(f) == "true" for f in ("clickable", "checkable", "focusable", "scrollable"))
        nid = parent
        if el.tag == "node" and keep:
            nid = str(len(nodes))
            cls = a.get("class", "")
            attrs: dict = {"class": cls, "resource_id": a.get("resource-id", ""),
                           "text": a.get("text", ""), "desc": a.get("content-desc", ""),
                           "bbox": parse_bounds(a.get("bounds", "[0,0][0,0]")),
                           "package": a.get("package", "")}
            attrs.update({f: a.get(f) == "true" for f in _FLAGS})
            name = a.get("text") or a.get("content-desc") or a.get("resource-id", "").rsplit("/", 1)[-1]
            nodes.append(Node(id=nid, kind=cls.rsplit(".", 1)[-1].lower() or "view", name=name, attrs=attrs))
            if parent is not None:
                rels.append(Relation(src=nid, rel="child_of", dst=parent))
                kids.setdefault(parent, []).append(nid)
        for c in el:
            walk(c, nid)

    walk(root, None)
    by_id = {n.id: n for n in nodes}
    for parent, ids in kids.items():
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                ba, bb = by_id[a].attrs["bbox"], by_id[b].attrs["bbox"]
                if ba[3] <= bb[1]:
                    rels.append(Relation(src=a, rel="above", dst=b))
                elif ba[2] <= bb[0]:
                    rels.append(Relation(src=a, rel="left_of", dst=b))
    return SceneGraph(nodes=nodes, relations=rels)


def center(node: Node) -> tuple[int, int]:
    x1, y1, x2, y2 = node.attrs["bbox"]
    return (x1 + x2) // 2, (y1 + y2) // 2


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
