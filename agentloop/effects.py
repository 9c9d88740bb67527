"""Expected effects: predicates on the scene graph after a skill ran, checked by the effect
validator (ExploreVLM's execution check)."""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel

from agentloop.scene import SceneDiff, SceneGraph


class EffectKind(str, Enum):
    """What an `Effect` asserts about the scene after the step."""

    ATTR = "attr"  # node.key == value
    RELATION = "relation"  # src rel dst holds
    PRESENT = "present"  # the node is perceived
    ABSENT = "absent"  # the node is not perceived
    CHANGED = "changed"  # something changed at the node (anywhere, without one)


class Effect(BaseModel):
    """A predicate on the scene after a skill ran, checked by the effect validator.

    kinds: `attr` (node.key == value), `relation` (src rel dst holds), `present` / `absent`
    (node is / is not perceived), `changed` (anything changed at node, or anywhere if node is
    None). `negate` flips the predicate.
    """

    kind: EffectKind
    node: str | None = None
    key: str | None = None
    value: Any = None
    rel: str | None = None
    target: str | None = None
    negate: bool = False

    def holds(self, before: SceneGraph, after: SceneGraph, diff: SceneDiff | None = None) -> bool:
        result = self._holds(before, after, diff)
        return not result if self.negate else result

    def _holds(self, before: SceneGraph, after: SceneGraph, diff: SceneDiff | None) -> bool:
        if self.kind is EffectKind.ATTR:
            n = after.node(self.node or "")
            return n is not None and n.attrs.get(self.key or "") == self.value
        if self.kind is EffectKind.RELATION:
            return after.has(self.node or "", self.rel or "", self.target or "")
        if self.kind is EffectKind.PRESENT:
            return (self.node or "") in after
        if self.kind is EffectKind.ABSENT:
            return (self.node or "") not in after
        diff = diff if diff is not None else SceneGraph.diff(before, after)
        return not diff.empty if self.node is None else diff.touches(self.node)

    def __str__(self) -> str:
        neg = "not " if self.negate else ""
        if self.kind is EffectKind.ATTR:
            return f"{neg}{self.node}.{self.key} == {self.value!r}"
        if self.kind is EffectKind.RELATION:
            return f"{neg}{self.node} {self.rel} {self.target}"
        if self.kind is EffectKind.CHANGED:
            return f"{neg}changed at {self.node or 'scene'}"
        return f"{neg}{self.node} {self.kind.value}"


def attr(node: str, key: str, value: Any) -> Effect:
    return Effect(kind=EffectKind.ATTR, node=node, key=key, value=value)


def relation(src: str, rel: str, dst: str, negate: bool = False) -> Effect:
    return Effect(kind=EffectKind.RELATION, node=src, rel=rel, target=dst, negate=negate)


def present(node: str) -> Effect:
    return Effect(kind=EffectKind.PRESENT, node=node)


def absent(node: str) -> Effect:
    return Effect(kind=EffectKind.ABSENT, node=node)


def changed(node: str | None = None) -> Effect:
    return Effect(kind=EffectKind.CHANGED, node=node)
