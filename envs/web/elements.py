"""The web page as an element graph, built from ONE DOM snapshot per step.

Node schema (`agentloop.scene.Node`):

- `id`: `str(int)`, stable for the episode. The snapshot script (`js/snapshot.js`) stamps each element it reports
  with a `data-al-id` attribute the first time it sees it, so the same element keeps its id
  across steps; skills address elements by this id (`click(element="12")`).
- `kind`: the element's role: button, link, textbox, checkbox, radio, combobox, option,
  heading, text, img, listitem, tab, slider, label, cell, menuitem, treeitem, generic (a
  clickable span/div without a role), ...
- `name`: visible text, or the accessible name (aria-label, <label>, placeholder, alt, title).
- `attrs`:
  `tag` (lower-case tag name), `value` (form value or None), `checked` (bool or None),
  `selected` (bool or None), `disabled` (bool), `editable` (bool), `focused` (bool),
  `visible` (bool), `bbox` ([x, y, w, h] in CSS pixels of the viewport), `href` (or None),
  `placeholder` (or None), `clickable` (bool: interactive tag, role, onclick, cursor:pointer),
  `irreversible` (bool: matches one of the task's `irreversible_selectors`), `dom_id` (the
  element's `id` attribute or None).

Relations: `child_of` (to the nearest reported ancestor) and bounded spatial relations among
nearby elements: `left_of`, `right_of`, `above`, `below` (src is left of / above dst, with
overlapping rows / columns) and `near` (centres within 60 px); each node gets at most
`SPATIAL_PER_NODE` spatial relations, to its closest neighbours.

Only elements inside the viewport become nodes; `SceneGraph.meta["offscreen"]` counts the
visible elements outside it, `meta["total"]` all reported elements.
"""

from __future__ import annotations

import math
from typing import Any

from agentloop.scene import Node, Relation, SceneGraph
from agentloop.skills.web import Rel

SPATIAL_PER_NODE = 4
NEAR_PX = 60.0

def build_scene(snap: dict[str, Any]) -> SceneGraph:
    """Turn the snapshot script's output into a `SceneGraph` with child_of and spatial relations."""
    nodes: list[Node] = []
    rels: list[Relation] = []
    ids = {n["id"] for n in snap["nodes"]}
    for raw in snap["nodes"]:
        attrs = {k: raw[k] for k in (
            "tag", "value", "checked", "selected", "disabled", "editable", "focused", "visible",
            "bbox", "href", "placeholder", "clickable", "irreversible", "dom_id")}
        nodes.append(Node(id=raw["id"], kind=raw["kind"], name=raw["name"], attrs=attrs))
        if raw["parent"] in ids:
            rels.append(Relation(src=raw["id"], rel=Rel.CHILD_OF, dst=raw["parent"]))
    rels.extend(_spatial(snap["nodes"]))
    return SceneGraph(nodes=nodes, relations=rels, meta={
        "offscreen": snap["offscreen"], "url": snap["url"], "title": snap["title"],
        "viewport": snap["viewport"],
    })


def _spatial(raws: list[dict[str, Any]]) -> list[Relation]:
    # Only leaf-ish interactive/text nodes take part, each linked to its few closest neighbours:
    # the full pairwise set would be quadratic on large pages.
    pts = [(r["id"], r["bbox"]) for r in raws if r["clickable"] or r["kind"] in ("text", "label")]
    if len(pts) > 400:  # large pages: relations for the first 400 only, keeps a step fast
        pts = pts[:400]
    out: list[Relation] = []
    for i, (a, ba) in enumerate(pts):
        ca = (ba[0] + ba[2] / 2, ba[1] + ba[3] / 2)
        near = []
        for j, (b, bb) in enumerate(pts):
            if i == j:
                continue
            cb = (bb[0] + bb[2] / 2, bb[1] + bb[3] / 2)
            d = math.hypot(ca[0] - cb[0], ca[1] - cb[1])
            if d <= NEAR_PX * 2:
                near.append((d, b, bb))
        near.sort(key=lambda t: t[0])
        for d, b, bb in near[:SPATIAL_PER_NODE]:
            rows_overlap = ba[1] < bb[1] + bb[3] and bb[1] < ba[1] + ba[3]
            cols_overlap = ba[0] < bb[0] + bb[2] and bb[0] < ba[0] + ba[2]
            if rows_overlap and ba[0] + ba[2] <= bb[0]:
                out.append(Relation(src=a, rel=Rel.LEFT_OF, dst=b))
            elif rows_overlap and bb[0] + bb[2] <= ba[0]:
                out.append(Relation(src=a, rel=Rel.RIGHT_OF, dst=b))
            elif cols_overlap and ba[1] + ba[3] <= bb[1]:
                out.append(Relation(src=a, rel=Rel.ABOVE, dst=b))
            elif cols_overlap and bb[1] + bb[3] <= ba[1]:
                out.append(Relation(src=a, rel=Rel.BELOW, dst=b))
            if d <= NEAR_PX:
                out.append(Relation(src=a, rel=Rel.NEAR, dst=b))
    return out


def text_view(scene: SceneGraph, goal: str) -> str:
    """Compact text: one line per node, `[id] kind "name" state`; text-only nodes that repeat
    their parent's name are folded into it."""
    names = {n.id: n.name for n in scene.nodes}
    parent = {r.src: r.dst for r in scene.relations if r.rel == Rel.CHILD_OF}
    lines = [f"GOAL: {goal}", f"URL: {scene.meta.get('url', '')}"]
    for n in scene.nodes:
        a = n.attrs
        if n.kind in ("text", "generic") and not a.get("clickable") and n.name and names.get(parent.get(n.id, "")) == n.name:
            continue
        if n.kind == "generic" and not a.get("clickable") and not n.name:
            continue
        bits = [f"[{n.id}] {n.kind}"]
        if n.name:
            bits.append(repr(n.name[:80]))
        if a.get("value") not in (None, "") and n.kind not in ("button", "option"):
            bits.append(f"value={a['value']!r}")
        for flag in ("checked", "selected", "disabled", "focused", "irreversible"):
            if a.get(flag):
                bits.append(flag)
        lines.append(" ".join(bits))
    off = scene.meta.get("offscreen", 0)
    if off:
        lines.append(f"({off} more elements off-screen; scroll to see them)")
    return "\n".join(lines)
