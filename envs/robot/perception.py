"""The scene graph of what the camera sees. An object counts as perceived when enough of it
shows in the segmentation pass; one in a closed drawer or under the cup is simply absent.
Relations come from the perceived positions of perceived entities only.

Every node the camera sees carries `bbox`, `[x, y, w, h]` in the frame's pixels: its geoms
projected through the camera that renders the frame, so an id can be tied to what the image
shows (and a frame marked as the web's are). A node out of view has none. No skill takes a
point of the frame, so the text a model reads leaves boxes out; its legend states positions'
units and frame once."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from agentloop.envs.robot.franka import HAND
from agentloop.envs.robot.render import Camera
from agentloop.envs.robot.scene import CUP, ObjectSpec
from agentloop.envs.robot.world import World
from agentloop.scene import Legend, Node, Relation, SceneGraph
from agentloop.skills.robot import GRIPPER, NodeKind, Rel

MIN_PIXELS = 4
# The world frame of the MJCF (`scene.py`): the table's top is z = 0 and the camera looks along +y.
LEGEND = Legend(units="position=(x,y,z) in metres, table frame: origin mid-tabletop on its surface, "
                      "x to the camera's right, y away from the camera, z up")


def _r(v: Iterable[float]) -> list[float]:
    return [round(float(x), 3) for x in v]


def perceive(world: World, pixels: dict[str, int], gripper: tuple[np.ndarray, bool],
             camera: Camera | None = None) -> SceneGraph:
    """The scene graph of one camera view, given the pixels each body shows in it and the
    gripper's own sense of itself (grip point, fingers open); with the `camera` that rendered
    the view, each node in it gets its pixel box."""
    seen = {name for name, n in pixels.items() if n >= MIN_PIXELS}
    visible = [o for o in world.objects.values() if o.id in seen or o.id == world.held]
    nodes = _fixtures(world, seen, gripper) + [_object_node(world, o, seen) for o in visible]
    if camera is not None:
        _boxes(world, camera, nodes, pixels, seen)
    return SceneGraph(nodes=nodes, relations=_relations(world, visible, seen), meta={"camera": "main"},
                      legend=LEGEND)


def node_bodies(world: World, node_id: str) -> list[int]:
    """The bodies whose geoms show a node: the gripper's are the hand and fingers (the arm's
    last link and all it carries) or the fast mode's mocap body; any other node is its body."""
    m = world.model
    if node_id != GRIPPER:
        return [m.body(node_id).id]
    root = m.body(HAND if world.arm else GRIPPER).id
    out = []
    for b in range(m.nbody):
        a = b
        while a not in (root, 0):
            a = int(m.body_parentid[a])
        if a == root:
            out.append(b)
    return out


def _boxes(world: World, camera: Camera, nodes: list[Node], pixels: dict[str, int], seen: set[str]) -> None:
    """Give each node that shows in the frame (enough of its pixels; the gripper's counted
    over the hand and fingers) its projected box."""
    m = world.model
    hand = node_bodies(world, GRIPPER)
    shown = seen | ({GRIPPER} if sum(pixels.get(m.body(b).name, 0) for b in hand) >= MIN_PIXELS else set())
    wanted = {n.id: hand if n.id == GRIPPER else node_bodies(world, n.id) for n in nodes if n.id in shown}
    boxes = camera.boxes(world.data, wanted)
    for n in nodes:
        if n.id in boxes:
            n.attrs["bbox"] = boxes[n.id]


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
