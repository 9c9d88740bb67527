"""The scene graph of what the camera sees. An object counts as perceived when enough of it
shows in the segmentation pass; one in a closed drawer or under the cup is simply absent.
Relations come from the perceived positions of perceived entities only."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from agentloop.envs.robot.scene import CUP, ObjectSpec
from agentloop.envs.robot.world import World
from agentloop.scene import Node, Relation, SceneGraph
from agentloop.skills.robot import GRIPPER, NodeKind, Rel

MIN_PIXELS = 4


def _r(v: Iterable[float]) -> list[float]:
    return [round(float(x), 3) for x in v]


def perceive(world: World, pixels: dict[str, int], gripper: tuple[np.ndarray, bool]) -> SceneGraph:
    """The scene graph of one camera view, given the pixels each body shows in it and the
    gripper's own sense of itself (grip point, fingers open)."""
    seen = {name for name, n in pixels.items() if n >= MIN_PIXELS}
    visible = [o for o in world.objects.values() if o.id in seen or o.id == world.held]
    nodes = _fixtures(world, seen, gripper) + [_object_node(world, o, seen) for o in visible]
    return SceneGraph(nodes=nodes, relations=_relations(world, visible, seen), meta={"camera": "main"})


def _fixtures(world: World, seen: set[str], gripper: tuple[np.ndarray, bool]) -> list[Node]:
    """The gripper, containers and drawers (always known), and the cup when in view."""
    grip, fingers_open = gripper
    nodes = [Node(id=GRIPPER, kind=NodeKind.GRIPPER, name="gripper",
                  attrs={"holding": world.held, "open": fingers_open, "position": _r(grip)})]
    for c in world.containers.values():
        nodes.append(Node(id=c.id, kind=NodeKind.CONTAINER, name=f"{c.colour} {c.type}",
                          attrs={"type": c.type, "colour": c.colour, "visible": c.id in seen,
                                 "position": _r((*c.pos, 0.0))}))
    for d in world.drawers:
        nodes.append(Node(id=d, kind=NodeKind.DRAWER, name=d.replace("_", " "),
                          attrs={"open": world.drawer_open(d), "visible": d in seen,
                                 "position": _r(world.pos(d))}))
    if world.spec.cup is not None and CUP in seen:
        nodes.append(Node(id=CUP, kind=NodeKind.COVER, name="upturned cup",
                          attrs={"lifted": bool(world.pos(CUP)[2] > 0.06) or _aside(world),
                                 "visible": True, "position": _r(world.pos(CUP))}))
    return nodes


def _object_node(world: World, o: ObjectSpec, seen: set[str]) -> Node:
    return Node(id=o.id, kind=NodeKind.OBJECT, name=o.id.replace("_", " "),
                attrs={"shape": o.shape, "colour": o.colour, "category": o.category,
                       "visible": o.id in seen, "held": o.id == world.held,
                       "position": _r(world.pos(o.id))})


def _relations(world: World, visible: list[ObjectSpec], seen: set[str]) -> list[Relation]:
    """`in` and `on` of every perceived object not held, then `near` and left/right between them."""
    free = [o for o in visible if o.id != world.held]
    rels: list[Relation] = []
    for o in free:
        loc = world.location_of(o.id)
        if loc is not None and loc in seen:
            rels.append(Relation(src=o.id, rel=Rel.IN, dst=loc))
        rels += [Relation(src=o.id, rel=Rel.ON, dst=b.id)
                 for b in free if b.id != o.id and world.on_object(o.id, b.id)]
    for i, a in enumerate(free):
        pa = world.pos(a.id)
        for b in free[i + 1:]:
            pb = world.pos(b.id)
            if math.hypot(pa[0] - pb[0], pa[1] - pb[1]) < 0.09:
                rels += [Relation(src=a.id, rel=Rel.NEAR, dst=b.id), Relation(src=b.id, rel=Rel.NEAR, dst=a.id)]
            if abs(pa[1] - pb[1]) < 0.08 and abs(pa[0] - pb[0]) > 0.1:
                left, right = (a.id, b.id) if pa[0] < pb[0] else (b.id, a.id)
                rels += [Relation(src=left, rel=Rel.LEFT_OF, dst=right),
                         Relation(src=right, rel=Rel.RIGHT_OF, dst=left)]
    return rels


def _aside(world: World) -> bool:
    """The cup has been lifted and set down elsewhere: nothing is under it any more."""
    cup = world.pos(CUP)
    return not any(
        math.hypot(cup[0] - p[0], cup[1] - p[1]) < 0.03
        for o, p in ((o, world.pos(o)) for o in world.objects) if world.objects[o].place == CUP
    )
