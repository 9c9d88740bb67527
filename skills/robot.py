"""The robot's skills: pick, place, open, close, push, lift, look.

Arguments are scene-graph node ids (`red_cube`, `blue_bowl`, `drawer_1`, `cup`, `table`).
Preconditions are checked on the perceived scene graph by the rule critic; expected effects
are checked on the next one by the effect validator.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agentloop.scene import SceneGraph
from agentloop.skills import Effect, Skill, SkillSet, absent, attr, changed, relation


class ObjectArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    object: str = Field(description="object id from the scene graph, e.g. red_cube")


class PlaceArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    object: str = Field(description="the held object's id")
    target: str = Field(description="container, open drawer or object id to put it in/on, or 'table'")


class ContainerArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    container: str = Field(description="drawer id, e.g. drawer_1")


class PushArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    object: str = Field(description="object id")
    direction: Literal["left", "right", "forward", "back"]


class CoverArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cover: str = Field(description="cover id, e.g. cup")


class LookArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at: str = Field(description="node id to look at, or 'table'")


def _holding(scene: SceneGraph) -> str | None:
    g = scene.node("gripper")
    return g.get("holding") if g is not None else None


def _visible_object(scene: SceneGraph, oid: str) -> str | None:
    n = scene.node(oid)
    if n is None or n.kind != "object":
        return f"{oid} is not a visible object"
    return None


class Pick(Skill):
    """Grasp a visible object and lift it."""

    name = "pick"
    Args = ObjectArgs

    def precondition(self, scene: SceneGraph, args: ObjectArgs) -> str | None:
        if (p := _visible_object(scene, args.object)) is not None:
            return p
        if (h := _holding(scene)) is not None:
            return f"the gripper already holds {h}; place it first"
        if scene.sources("on", args.object):
            return f"something lies on {args.object}; move it first"
        return None

    def expected_effect(self, scene: SceneGraph, args: ObjectArgs) -> list[Effect]:
        return [attr("gripper", "holding", args.object), attr(args.object, "held", True)]


class Place(Skill):
    """Put the held object in a container or open drawer, on another object, or on the table."""

    name = "place"
    Args = PlaceArgs

    def precondition(self, scene: SceneGraph, args: PlaceArgs) -> str | None:
        if _holding(scene) != args.object:
            return f"the gripper does not hold {args.object}"
        if args.target == "table":
            return None
        t = scene.node(args.target)
        if t is None:
            return f"{args.target} is not visible"
        if t.kind == "drawer" and not t.get("open"):
            return f"{args.target} is closed; open it first"
        if t.kind not in ("drawer", "container", "object"):
            return f"cannot place anything on a {t.kind}"
        if t.kind == "object" and t.id == args.object:
            return "cannot place an object on itself"
        return None

    def expected_effect(self, scene: SceneGraph, args: PlaceArgs) -> list[Effect]:
        out = [attr("gripper", "holding", None)]
        t = scene.node(args.target)
        if t is not None and t.kind in ("drawer", "container"):
            out.append(relation(args.object, "in", args.target))
        elif t is not None and t.kind == "object":
            out.append(relation(args.object, "on", args.target))
        else:
            out.append(attr(args.object, "held", False))
        return out


class Open(Skill):
    """Pull a drawer open."""

    name = "open"
    Args = ContainerArgs

    def precondition(self, scene: SceneGraph, args: ContainerArgs) -> str | None:
        n = scene.node(args.container)
        if n is None or n.kind != "drawer":
            return f"{args.container} is not a visible drawer"
        if n.get("open"):
            return f"{args.container} is already open"
        if _holding(scene) is not None:
            return "the gripper is not empty"
        return None

    def expected_effect(self, scene: SceneGraph, args: ContainerArgs) -> list[Effect]:
        return [attr(args.container, "open", True)]


class Close(Skill):
    """Push a drawer shut."""

    name = "close"
    Args = ContainerArgs

    def precondition(self, scene: SceneGraph, args: ContainerArgs) -> str | None:
        n = scene.node(args.container)
        if n is None or n.kind != "drawer":
            return f"{args.container} is not a visible drawer"
        if not n.get("open"):
            return f"{args.container} is already closed"
        if _holding(scene) is not None:
            return "the gripper is not empty"
        return None

    def expected_effect(self, scene: SceneGraph, args: ContainerArgs) -> list[Effect]:
        return [attr(args.container, "open", False)]


class Push(Skill):
    """Slide an object about 8 cm along the table."""

    name = "push"
    Args = PushArgs

    def precondition(self, scene: SceneGraph, args: PushArgs) -> str | None:
        if (p := _visible_object(scene, args.object)) is not None:
            return p
        if _holding(scene) is not None:
            return "the gripper is not empty"
        return None

    def expected_effect(self, scene: SceneGraph, args: PushArgs) -> list[Effect]:
        return [changed(args.object)]


class Lift(Skill):
    """Lift a cover (the upturned cup) and set it aside, revealing what is under it."""

    name = "lift"
    Args = CoverArgs

    def precondition(self, scene: SceneGraph, args: CoverArgs) -> str | None:
        n = scene.node(args.cover)
        if n is None or n.kind != "cover":
            return f"{args.cover} is not a visible cover"
        if n.get("lifted"):
            return f"{args.cover} is already lifted"
        if _holding(scene) is not None:
            return "the gripper is not empty"
        return None

    def expected_effect(self, scene: SceneGraph, args: CoverArgs) -> list[Effect]:
        return [attr(args.cover, "lifted", True)]


class Look(Skill):
    """Look again at a part of the scene (no motion; refreshes perception)."""

    name = "look"
    Args = LookArgs


SKILLS = SkillSet([Pick, Place, Open, Close, Push, Lift, Look])
__all__ = ["SKILLS", "absent"]
