"""The robot's skills: pick, place, open, close, push, lift, look.

Arguments are scene-graph node ids (`red_cube`, `blue_bowl`, `drawer_1`, `cup`, `table`).
Positions are metres in the table's frame: origin at the middle of the tabletop, x to the
right as the camera sees it, y away from the camera (towards the cabinets), z up; a node's
`bbox` is its box in the camera frame's pixels, `[x, y, w, h]` from the top-left corner.
Preconditions are checked on the perceived scene graph by the rule critic; expected effects
are checked on the next one by the effect validator. Besides its own effect, every motion
expects to leave the rest where it was: what lay in a container or on an object and was not
the skill's to move still lies there (an arm on its way can knock things out).
"""

from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agentloop.effects import Effect, attr, changed, relation
from agentloop.scene import SceneGraph
from agentloop.skillset import Skill, SkillSet, Unmet

TABLE = "table"  # the target that means "set it down anywhere free on the table"
GRIPPER = "gripper"  # the gripper's node id


class NodeKind(str, Enum):
    """The kinds of node in the tabletop's scene graph."""

    GRIPPER = "gripper"
    OBJECT = "object"  # graspable: a block or a fruit
    CONTAINER = "container"  # a bowl or a tray
    DRAWER = "drawer"
    COVER = "cover"  # the upturned cup


class Rel(str, Enum):
    """The relations of the tabletop's scene graph, between perceived entities."""

    IN = "in"  # in a container or drawer
    ON = "on"  # resting on another object
    NEAR = "near"
    LEFT_OF = "left_of"
    RIGHT_OF = "right_of"


class ObjectArgs(BaseModel):
    """Which object a skill acts on."""

    model_config = ConfigDict(extra="forbid")
    object: str = Field(description="object id from the scene graph, e.g. red_cube")


class PlaceArgs(BaseModel):
    """The held object and where to put it."""

    model_config = ConfigDict(extra="forbid")
    object: str = Field(description="the held object's id")
    target: str = Field(description="container, open drawer or object id to put it in/on, or 'table'")


class ContainerArgs(BaseModel):
    """Which drawer to open or close."""

    model_config = ConfigDict(extra="forbid")
    container: str = Field(description="drawer id, e.g. drawer_1")


class PushArgs(BaseModel):
    """Which object to slide, and which way."""

    model_config = ConfigDict(extra="forbid")
    object: str = Field(description="object id")
    direction: Literal["left", "right", "forward", "back"] = Field(
        description="as the camera sees the table: left/right across the image, forward towards the "
                    "camera (down the image), back away from it (up the image, towards the cabinets)")


class CoverArgs(BaseModel):
    """Which cover to lift."""

    model_config = ConfigDict(extra="forbid")
    cover: str = Field(description="cover id, e.g. cup")


class LookArgs(BaseModel):
    """Where to look."""

    model_config = ConfigDict(extra="forbid")
    at: str = Field(description="node id to look at, or 'table'")


def _holding(scene: SceneGraph) -> str | None:
    g = scene.node(GRIPPER)
    return g.get("holding") if g is not None else None


def _undisturbed(scene: SceneGraph, *moved: str) -> list[Effect]:
    """`in` and `on` relations of the scene before that the skill has no business changing:
    those not about what it moves (`moved`: its object, its drawer or its cover)."""
    kept = (Rel.IN.value, Rel.ON.value)
    return [relation(r.src, r.rel, r.dst) for r in scene.relations
            if r.rel in kept and r.src not in moved and r.dst not in moved]


def _visible_object(scene: SceneGraph, oid: str) -> Unmet | None:
    n = scene.node(oid)
    if n is None or n.kind != NodeKind.OBJECT:
        return Unmet(f"{oid} is not a visible object",
                     f"{oid} in view (open the drawer or lift the cover it may be in or under), or an object that is")
    return None


def _empty_hand(scene: SceneGraph) -> Unmet | None:
    if (h := _holding(scene)) is not None:
        return Unmet(f"the gripper holds {h}", f"an empty gripper: place {h} first")
    return None


class Pick(Skill):
    """Grasp a visible object from above and lift it clear of the table; it stays in the gripper until placed."""

    name = "pick"
    Args = ObjectArgs

    def precondition(self, scene: SceneGraph, args: ObjectArgs) -> Unmet | None:
        if (p := _visible_object(scene, args.object) or _empty_hand(scene)) is not None:
            return p
        if on_top := scene.sources(Rel.ON.value, args.object):
            return Unmet(f"{', '.join(on_top)} lies on {args.object}", f"nothing on {args.object}: move it off first")
        return None

    def expected_effect(self, scene: SceneGraph, args: ObjectArgs) -> list[Effect]:
        return [attr(GRIPPER, "holding", args.object), attr(args.object, "held", True),
                *_undisturbed(scene, args.object)]


class Place(Skill):
    """Lower the held object into a container or open drawer, onto another object, or onto a free spot of the table ('table'), and let go."""

    name = "place"
    Args = PlaceArgs

    def precondition(self, scene: SceneGraph, args: PlaceArgs) -> Unmet | None:
        if _holding(scene) != args.object:
            return Unmet(f"the gripper does not hold {args.object}", f"{args.object} held: pick it first")
        if args.target == TABLE:
            return None
        t = scene.node(args.target)
        if t is None:
            return Unmet(f"{args.target} is not visible", f"{args.target} in view, or a target that is")
        if t.kind == NodeKind.DRAWER and not t.get("open"):
            return Unmet(f"{args.target} is closed", f"{args.target} open: open it first")
        if t.kind not in (NodeKind.DRAWER, NodeKind.CONTAINER, NodeKind.OBJECT):
            return Unmet(f"nothing can be placed on a {t.kind}", "a target that is a container, an open drawer, "
                         f"another object or {TABLE}")
        if t.kind == NodeKind.OBJECT and t.id == args.object:
            return Unmet("an object cannot be placed on itself", f"a target other than {args.object}")
        return None

    def expected_effect(self, scene: SceneGraph, args: PlaceArgs) -> list[Effect]:
        out = [attr(GRIPPER, "holding", None)]
        t = scene.node(args.target)
        if t is not None and t.kind in (NodeKind.DRAWER, NodeKind.CONTAINER):
            out.append(relation(args.object, Rel.IN.value, args.target))
        elif t is not None and t.kind == NodeKind.OBJECT:
            out.append(relation(args.object, Rel.ON.value, args.target))
        else:
            out.append(attr(args.object, "held", False))
        return out + _undisturbed(scene, args.object)


class Open(Skill):
    """Pull a closed drawer open by its handle: it slides 15 cm out of its cabinet, towards the camera."""

    name = "open"
    Args = ContainerArgs

    def precondition(self, scene: SceneGraph, args: ContainerArgs) -> Unmet | None:
        n = scene.node(args.container)
        if n is None or n.kind != NodeKind.DRAWER:
            return Unmet(f"{args.container} is not a visible drawer", "a drawer in view as the container")
        if n.get("open"):
            return Unmet(f"{args.container} is already open", f"nothing to do: {args.container} is open; go on")
        return _empty_hand(scene)

    def expected_effect(self, scene: SceneGraph, args: ContainerArgs) -> list[Effect]:
        return [attr(args.container, "open", True), *_undisturbed(scene, args.container)]


class Close(Skill):
    """Push an open drawer shut by its handle, back into its cabinet (what lies in it goes out of view)."""

    name = "close"
    Args = ContainerArgs

    def precondition(self, scene: SceneGraph, args: ContainerArgs) -> Unmet | None:
        n = scene.node(args.container)
        if n is None or n.kind != NodeKind.DRAWER:
            return Unmet(f"{args.container} is not a visible drawer", "a drawer in view as the container")
        if not n.get("open"):
            return Unmet(f"{args.container} is already closed", f"nothing to do: {args.container} is closed; go on")
        return _empty_hand(scene)

    def expected_effect(self, scene: SceneGraph, args: ContainerArgs) -> list[Effect]:
        # What lies in the drawer goes out of sight with it.
        return [attr(args.container, "open", False), *_undisturbed(scene, args.container)]


class Push(Skill):
    """Slide an object 8 cm across the table, in a direction as the camera sees it (left, right, forward = towards the camera, back = away from it)."""

    name = "push"
    Args = PushArgs

    def precondition(self, scene: SceneGraph, args: PushArgs) -> Unmet | None:
        return _visible_object(scene, args.object) or _empty_hand(scene)

    def expected_effect(self, scene: SceneGraph, args: PushArgs) -> list[Effect]:
        return [changed(args.object), *_undisturbed(scene, args.object)]


class Lift(Skill):
    """Lift a cover (the upturned cup) by its knob and set it down on a free spot of the table, revealing what is under it."""

    name = "lift"
    Args = CoverArgs

    def precondition(self, scene: SceneGraph, args: CoverArgs) -> Unmet | None:
        n = scene.node(args.cover)
        if n is None or n.kind != NodeKind.COVER:
            return Unmet(f"{args.cover} is not a visible cover", "a cover in view")
        if n.get("lifted"):
            return Unmet(f"{args.cover} is already lifted", f"nothing to do: {args.cover} is lifted; go on")
        return _empty_hand(scene)

    def expected_effect(self, scene: SceneGraph, args: CoverArgs) -> list[Effect]:
        return [attr(args.cover, "lifted", True), *_undisturbed(scene, args.cover)]


class Look(Skill):
    """Look again at a part of the scene: nothing moves, the camera's view is perceived afresh."""

    name = "look"
    Args = LookArgs


SKILLS = SkillSet([Pick, Place, Open, Close, Push, Lift, Look])
