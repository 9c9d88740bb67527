"""The scene graph of what the camera sees. An object counts as perceived when enough of it
shows in the segmentation pass; one in a closed drawer or under the cup is simply absent.
Relations come from the perceived positions of perceived entities only."""

from __future__ import annotations

import math

from agentloop.envs.robot.world import World
from agentloop.scene import Node, Relation, SceneGraph

MIN_PIXELS = 4


def _r(v) -> list[float]:
    return [round(float(x), 3) for x in v]


def perceive(world: World, pixels: dict[str, int]) -> SceneGraph:
    nodes: list[Node] = []
    rels: list[Relation] = []
    seen = {name for name, n in pixels.items() if n >= MIN_PIXELS}
    held = world.held
    nodes.append(Node(id="gripper", kind="gripper", name="gripper", attrs={"holding": held}))
    visible_objs = [o for o in world.objects.values() if o.id in seen or o.id == held]
    for c in world.containers.values():
        nodes.append(Node(id=c.id, kind="container", name=f"{c.colour} {c.type}",
                          attrs={"type": c.type, "colour": c.colour, "visible": c.id in seen,
                                 "position": _r((*c.pos, 0.0))}))
    for d in world.drawers:
        nodes.append(Node(id=d, kind="drawer", name=d.replace("_", " "),
                          attrs={"open": world.drawer_open(d), "visible": d in seen,
                                 "position": _r(world.pos(d))}))
    if world.spec.cup is not None and "cup" in seen:
        nodes.append(Node(id="cup", kind="cover", name="upturned cup",
                          attrs={"lifted": bool(world.pos("cup")[2] > 0.06) or _aside(world),
                                 "visible": True, "position": _r(world.pos("cup"))}))
    for o in visible_objs:
        nodes.append(Node(id=o.id, kind="object", name=o.id.replace("_", " "),
                          attrs={"shape": o.shape, "colour": o.colour, "category": o.category,
                                 "visible": o.id in seen, "held": o.id == held,
                                 "position": _r(world.pos(o.id))}))
        if o.id == held:
            continue
        loc = world.location_of(o.id)
        if loc is not None and (loc in seen):
            rels.append(Relation(src=o.id, rel="in", dst=loc))
        for b in visible_objs:
            if b.id != o.id and b.id != held and world.on_object(o.id, b.id):
                rels.append(Relation(src=o.id, rel="on", dst=b.id))
    free = [o for o in visible_objs if o.id != held]
    for i, a in enumerate(free):
        pa = world.pos(a.id)
        for b in free[i + 1:]:
            pb = world.pos(b.id)
            if math.hypot(pa[0] - pb[0], pa[1] - pb[1]) < 0.09:
                rels += [Relation(src=a.id, rel="near", dst=b.id), Relation(src=b.id, rel="near", dst=a.id)]
            if abs(pa[1] - pb[1]) < 0.08 and abs(pa[0] - pb[0]) > 0.1:
                left, right = (a.id, b.id) if pa[0] < pb[0] else (b.id, a.id)
                rels += [Relation(src=left, rel="left_of", dst=right), Relation(src=right, rel="right_of", dst=left)]
    return SceneGraph(nodes=nodes, relations=rels, meta={"camera": "main"})


def _aside(world: World) -> bool:
    """The cup has been lifted and set down elsewhere: nothing is under it any more."""
    cup = world.pos("cup")
    return not any(
        math.hypot(cup[0] - p[0], cup[1] - p[1]) < 0.03
        for o, p in ((o, world.pos(o)) for o in world.objects) if world.objects[o].place == "cup"
    )
