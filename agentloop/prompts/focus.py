"""The part of a scene a verdict on one call needs: the nodes the call names, their relations
and the nodes one relation away. The critic judges a call and the validator its effect on
these; the whole scene would bury them (a web page has hundreds of elements).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from agentloop.calls import SkillCall
from agentloop.scene import SceneGraph

NEIGHBOURS = 16  # neighbours shown at most (a list's parent can have many children)


def named_ids(call: SkillCall, scene: SceneGraph) -> list[str]:
    """The ids of `scene`'s nodes that the call's arguments name, in argument order."""
    ids = [str(v) for v in call.args.values() if isinstance(v, (str, int)) and not isinstance(v, bool)]
    return [i for i in dict.fromkeys(ids) if i in scene]


def around(scene: SceneGraph, ids: list[str], limit: int = NEIGHBOURS) -> SceneGraph:
    """`ids`' nodes first, then their neighbours (at most `limit`, in scene order), with the
    relations that touch `ids`; the scene's own facts (`meta`) and legend (units, boxes) are kept."""
    named = set(ids)
    touching = [r for r in scene.relations if r.src in named or r.dst in named]
    near = {r.dst if r.src in named else r.src for r in touching} - named
    neighbours = [n for n in scene.nodes if n.id in near][:limit]
    kept = named | {n.id for n in neighbours}
    nodes = [n for i in ids if (n := scene.node(i)) is not None] + neighbours
    relations = [r for r in touching if r.src in kept and r.dst in kept]
    return SceneGraph(nodes=nodes, relations=relations, meta=scene.meta, legend=scene.legend)


@dataclass(frozen=True)
class Focus:
    """A scene as a prompt shows it for one call: what it is, how much of the scene, and its text."""

    title: str  # "SCENE GRAPH" (the whole scene) or "SCENE AROUND THE CALL"
    note: str  # how much of the scene is shown; "" for the whole
    text: str

    def heading(self, when: str = "") -> str:
        """The line above the text: `title`, then `when` ("BEFORE IT RAN"), then the note."""
        return " ".join(p for p in (self.title, when, self.note) if p)


def focus(call: SkillCall, scene: SceneGraph | None, whole: bool = True, goal: Iterable[str] = ()) -> Focus | None:
    """The nodes `call` names in `scene` (and those of `goal`, the ids the goal names, where the
    call names some) with their neighbours. A call that names none (finish, scroll, a point on
    the screen) gets the whole scene where `whole`, else nothing; so does a scene the focus
    would not shrink."""
    if scene is None:
        return None
    named = named_ids(call, scene)
    ids = list(dict.fromkeys(named + [i for i in goal if i in scene])) if named else []
    part = around(scene, ids) if ids else None
    if part is None or len(part.nodes) >= len(scene.nodes):
        return Focus("SCENE GRAPH", "", scene.to_text()) if whole or part is not None else None
    whose = "those it and the goal name" if len(ids) > len(named) else "those it names"
    note = f"({len(part.nodes)} of {len(scene.nodes)} nodes: {whose}, then their neighbours)"
    return Focus("SCENE AROUND THE CALL", note, part.to_text())
