"""The object-centric scene graph: what the agent perceives, as nodes and directed relations.

An environment that perceives one returns it as its `Perception.scene_graph`, in
`info["agentloop"]` (`agentloop.perception`). The planner reads its text rendering,
the rule critic checks skill preconditions on it, the effect validator checks expected effects
on the diff between two of them, and `state_key` recognises the same perceived state across
episodes (GiGPO anchor states).

A graph's `legend` says once, above its nodes, what the numbers in its text mean: the units and
frame of positions, and, where the env has skills that take a point of the screen, the pixel
space in which each node's box is printed (as its centre and size, the point such a skill aims
at). Without such skills boxes stay out of the text: they would cost tokens and aim nothing.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

JSONValue = Any

# Attributes whose values are continuous measurements: two perceptions of the same state
# differ in them by noise, so they are left out of the canonical state hash.
VOLATILE_ATTRS = frozenset({"bbox", "position", "pos", "center", "size", "velocity", "z", "scroll"})


class Node(BaseModel):
    """One perceived entity: an object, a container, a drawer, a page element."""

    model_config = ConfigDict(extra="forbid")

    id: str
    kind: str = Field(description="object, container, drawer, button, textbox, ...")
    name: str = ""
    attrs: dict[str, JSONValue] = Field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.attrs.get(key, default)


class Relation(BaseModel):
    """A directed relation `src --rel--> dst`, e.g. `red_cube --on--> blue_bowl`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    src: str
    rel: str
    dst: str

    def __str__(self) -> str:
        return f"{self.src} {self.rel} {self.dst}"


class AttrChange(BaseModel):
    """One attribute's value before and after."""

    before: JSONValue = None
    after: JSONValue = None


class SceneDiff(BaseModel):
    """What changed between two perceptions of the scene."""

    added: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    changed: dict[str, dict[str, AttrChange]] = Field(default_factory=dict)
    relations_added: list[Relation] = Field(default_factory=list)
    relations_removed: list[Relation] = Field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.added or self.removed or self.changed or self.relations_added
            or self.relations_removed
        )

    def touches(self, node_id: str) -> bool:
        """Whether anything changed at this node or in a relation that involves it."""
        if node_id in self.added or node_id in self.removed or node_id in self.changed:
            return True
        return any(
            node_id in (r.src, r.dst) for r in (*self.relations_added, *self.relations_removed)
        )

    def to_text(self, limit: int = 40) -> str:
        lines: list[str] = []
        lines += [f"+ {n}" for n in self.added]
        lines += [f"- {n}" for n in self.removed]
        moved = 0
        for nid, changes in self.changed.items():
            for key, ch in changes.items():
                if key == "bbox":  # as in a scene's text, boxes are not printed raw: only counted
                    moved += 1
                    continue
                lines.append(f"~ {nid}.{key}: {_short(ch.before)} -> {_short(ch.after)}")
        lines += [f"+ {r}" for r in self.relations_added]
        lines += [f"- {r}" for r in self.relations_removed]
        if moved:
            lines.append(f"({moved} node{'s' if moved > 1 else ''} moved or resized)")
        if len(lines) > limit:
            lines = lines[:limit] + [f"... {len(lines) - limit} more changes"]
        return "\n".join(lines) if lines else "(no change)"


class PixelSpace(BaseModel):
    """The pixels in which a scene's boxes and its env's point-taking skills are given: origin
    top-left, x to the right, y down, `width` x `height` of them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    width: int = Field(gt=0)
    height: int = Field(gt=0)
    skills: str = Field(description="what takes a point in this space, e.g. \"the *_at skills\"")
    image: tuple[int, int] | None = Field(
        default=None, description="(width, height) of the image sent, where it shows this space scaled")

    def line(self) -> str:
        shown = (f"the {self.width}x{self.height} screen, which the image shows scaled to "
                 f"{self.image[0]}x{self.image[1]}" if self.image and self.image != (self.width, self.height)
                 else f"the {self.width}x{self.height} screenshot")
        return (f"(boxes: at=(x,y) is a node's centre and size=WxH its extent, in pixels of {shown} "
                f"(origin top-left, x right, y down), as {self.skills} take them)")

    def at(self, node: Node) -> str:
        """` at=(x,y) size=WxH` of the node's box where it shows in this space, else ""."""
        box = node.attrs.get("bbox")
        # A clipped node's box lies where the screenshot shows something else: no point to aim at.
        if not (isinstance(box, (list, tuple)) and len(box) == 4) or node.attrs.get("clipped") \
                or node.attrs.get("visible") is False:
            return ""
        x, y, w, h = (float(v) for v in box)
        x0, y0 = max(x, 0.0), max(y, 0.0)
        x1, y1 = min(x + w, float(self.width)), min(y + h, float(self.height))
        if x1 - x0 < 1 or y1 - y0 < 1:  # off the screen, or too thin to aim at
            return ""
        cx, cy = math.floor((x0 + x1) / 2), math.floor((y0 + y1) / 2)
        return f" at=({cx},{cy}) size={round(x1 - x0)}x{round(y1 - y0)}"


class Legend(BaseModel):
    """What the numbers in a scene's text mean, said once above its nodes rather than on each."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    units: str = Field(default="", description="the units and frame of its attributes' numbers")
    pixels: PixelSpace | None = Field(
        default=None, description="where the env has skills that take a point: the boxes' space")

    def lines(self) -> list[str]:
        return ([self.pixels.line()] if self.pixels else []) + ([f"(units: {self.units})"] if self.units else [])


class SceneGraph(BaseModel):
    """Nodes with attributes and directed relations; JSON round-trips losslessly."""

    model_config = ConfigDict(extra="forbid")

    nodes: list[Node] = Field(default_factory=list)
    relations: list[Relation] = Field(default_factory=list)
    # Facts about the perception itself (e.g. how many elements lie off-screen).
    meta: dict[str, JSONValue] = Field(default_factory=dict)
    # What the numbers in its text mean (units, and the pixel space of boxes where they are printed).
    legend: Legend | None = None

    # ---- lookups -------------------------------------------------------------------------
    def node_map(self) -> dict[str, Node]:
        cached = self.__dict__.get("_node_map")
        if cached is None or len(cached) != len(self.nodes):
            cached = {n.id: n for n in self.nodes}
            self.__dict__["_node_map"] = cached
        return cached

    def node(self, node_id: str) -> Node | None:
        return self.node_map().get(node_id)

    def __contains__(self, node_id: object) -> bool:
        return node_id in self.node_map()

    def has(self, src: str, rel: str, dst: str) -> bool:
        return Relation(src=src, rel=rel, dst=dst) in self.relation_set()

    def relation_set(self) -> frozenset[Relation]:
        return frozenset(self.relations)

    def sources(self, rel: str, dst: str) -> list[str]:
        """Sources `src` of every `src --rel--> dst`."""
        return [r.src for r in self.relations if r.dst == dst and r.rel == rel]

    def find(self, **attrs: Any) -> list[Node]:
        """Nodes whose kind/name/attributes equal the given values."""
        out = []
        for n in self.nodes:
            ok = True
            for k, v in attrs.items():
                have = getattr(n, k) if k in ("id", "kind", "name") else n.attrs.get(k)
                if have != v:
                    ok = False
                    break
            if ok:
                out.append(n)
        return out

    # ---- comparison ----------------------------------------------------------------------
    @staticmethod
    def diff(before: SceneGraph, after: SceneGraph) -> SceneDiff:
        b, a = before.node_map(), after.node_map()
        changed: dict[str, dict[str, AttrChange]] = {}
        for nid in b.keys() & a.keys():
            nb, na = b[nid], a[nid]
            # Plain field comparison: pydantic's __eq__ is several times slower.
            if nb.kind == na.kind and nb.name == na.name and _same(nb.attrs, na.attrs):
                continue
            ch: dict[str, AttrChange] = {}
            for field in ("kind", "name"):
                if getattr(nb, field) != getattr(na, field):
                    ch[field] = AttrChange(before=getattr(nb, field), after=getattr(na, field))
            for key in nb.attrs.keys() | na.attrs.keys():
                vb, va = nb.attrs.get(key), na.attrs.get(key)
                if not _same(vb, va):
                    ch[key] = AttrChange(before=vb, after=va)
            if ch:
                changed[nid] = ch
        rb, ra = before.relation_set(), after.relation_set()
        return SceneDiff(
            added=sorted(a.keys() - b.keys()),
            removed=sorted(b.keys() - a.keys()),
            changed={k: changed[k] for k in sorted(changed)},
            relations_added=sorted(ra - rb, key=_rel_key),
            relations_removed=sorted(rb - ra, key=_rel_key),
        )

    def state_key(self) -> str:
        """Canonical hash of the perceived state, blind to node/relation order and to
        continuous measurements, so the same state seen twice gets the same key."""
        nodes = sorted(
            (
                n.id,
                n.kind,
                n.name,
                sorted(
                    (k, v if isinstance(v, (str, int, bool)) or v is None else _canon(v))
                    for k, v in n.attrs.items()
                    if k not in VOLATILE_ATTRS and not isinstance(v, float)
                ),
            )
            for n in self.nodes
        )
        rels = sorted((r.src, r.rel, r.dst) for r in self.relations)
        blob = repr((nodes, rels))  # canonical: sorted tuples of JSON scalars
        return hashlib.blake2b(blob.encode(), digest_size=12).hexdigest()

    # ---- rendering -----------------------------------------------------------------------
    def to_text(self, max_nodes: int = 200, skip_attrs: Iterable[str] = ("bbox",)) -> str:
        """Compact one-line-per-node rendering for prompts: the legend's lines first, then
        `[id] kind "name" attributes at=(x,y) size=WxH; relations` (the box where the legend
        gives a pixel space)."""
        skip = set(skip_attrs)
        by_src: dict[str, list[str]] = {}
        for r in self.relations:
            by_src.setdefault(r.src, []).append(f"{r.rel} {r.dst}")
        pixels = self.legend.pixels if self.legend is not None else None
        lines = self.legend.lines() if self.legend is not None else []
        for n in self.nodes[:max_nodes]:
            attrs = " ".join(
                f"{k}={_whole(v)}" for k, v in n.attrs.items() if k not in skip and v is not None
            )
            head = f"[{n.id}] {n.kind}" + (f' "{n.name}"' if n.name else "")
            box = pixels.at(n) if pixels is not None else ""
            rel = ("; " + ", ".join(by_src[n.id])) if n.id in by_src else ""
            lines.append(f"{head} {attrs}".rstrip() + f"{box}{rel}")
        if len(self.nodes) > max_nodes:
            lines.append(f"... {len(self.nodes) - max_nodes} more nodes")
        for k, v in self.meta.items():
            lines.append(f"({k}: {_short(v)})")
        return "\n".join(lines)


def _same(a: Any, b: Any) -> bool:
    """Equality as JSON sees it: `False` and `0` differ (Python's `==` says they are equal)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(v, b[k]) for k, v in a.items())
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def _rel_key(r: Relation) -> tuple[str, str, str]:
    return (r.src, r.rel, r.dst)


def _canon(v: Any) -> Any:
    if isinstance(v, dict):
        return sorted((k, _canon(x)) for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return [_canon(x) for x in v]
    return v


LIST_MAX = 50  # items of a list a node's line shows (a drop-down's options), then "(+N more)"
BULK_WIDTH = 400  # characters of a nested structure (a dict) a node's line shows before its "…"


def _whole(v: Any) -> str:
    """An attribute's value as a node's line shows it: what a model must read (a field's value,
    a drop-down's options, a sentence's emphasis) whole, a list up to `LIST_MAX` items; only
    bulk (a nested structure) is shortened."""
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)) and v and all(isinstance(x, str) for x in v):
        more = f" (+{len(v) - LIST_MAX} more)" if len(v) > LIST_MAX else ""
        return str(list(v[:LIST_MAX])) + more
    return _short(v, BULK_WIDTH)


def _short(v: Any, width: int = 60) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    if isinstance(v, (list, tuple)) and all(isinstance(x, (int, float)) for x in v):
        return "(" + ",".join(f"{x:.3g}" if isinstance(x, float) else str(x) for x in v) + ")"
    s = json.dumps(v, ensure_ascii=False) if isinstance(v, str) else str(v)
    return s if len(s) <= width else s[: width - 1] + "…"
