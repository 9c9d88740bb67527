"""The tabletop world as MJCF built from primitives: a table, a mocap gripper, objects,
bowls and trays, a cabinet of drawers on slide joints, and an upturned cup.

`SceneSpec` is the seeded layout a task draws; `build_mjcf` turns it into XML. Nothing is
downloaded: every body is a box, cylinder, sphere, capsule or ellipsoid.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, Field

COLOURS: dict[str, tuple[float, float, float]] = {
    "red": (0.85, 0.15, 0.12), "green": (0.15, 0.7, 0.2), "blue": (0.15, 0.3, 0.85),
    "yellow": (0.95, 0.85, 0.1), "purple": (0.55, 0.2, 0.7), "orange": (1.0, 0.5, 0.05),
    "white": (0.92, 0.92, 0.92), "brown": (0.5, 0.3, 0.15), "grey": (0.55, 0.55, 0.58),
}
BLOCK_SHAPES = ("cube", "cylinder", "ball")
# Fruit-like items: name -> (shape, colour).
FRUIT: dict[str, tuple[str, str]] = {
    "apple": ("ball", "red"), "lemon": ("ellipsoid", "yellow"), "banana": ("capsule", "yellow"),
    "lime": ("ball", "green"), "plum": ("ellipsoid", "purple"), "orange_fruit": ("ball", "orange"),
}
HALF = 0.02  # half size of every graspable object (m)
TABLE_X, TABLE_Y = 0.45, 0.36
DRAWER_Y = 0.24  # cabinet row centre
DRAWER_TRAVEL = 0.15  # how far a drawer slides out
DRAWER_XS = (-0.22, 0.0, 0.22)
CUP = "cup"  # the upturned cup: its body, joint, geom and scene-graph node


class ObjectSpec(BaseModel):
    """A graspable object: its look, its category and where it starts."""

    id: str
    shape: Literal["cube", "cylinder", "ball", "ellipsoid", "capsule"]
    colour: str
    category: Literal["block", "fruit"]
    pos: tuple[float, float] = (0.0, 0.0)
    # Where it starts: "table", "drawer_N" (inside, closed) or "cup" (hidden under the cup).
    place: str = "table"


class ContainerSpec(BaseModel):
    """A bowl or a tray standing on the table."""

    id: str
    type: Literal["bowl", "tray"]
    colour: str
    pos: tuple[float, float]


class SceneSpec(BaseModel):
    """The seeded layout of one episode, from which `build_mjcf` writes the MJCF."""

    objects: list[ObjectSpec] = Field(default_factory=list)
    containers: list[ContainerSpec] = Field(default_factory=list)
    drawers: int = 0
    open_drawers: list[str] = Field(default_factory=list)
    cup: tuple[float, float] | None = None


def _rgba(colour: str) -> str:
    r, g, b = COLOURS[colour]
    return f"{r:.2f} {g:.2f} {b:.2f} 1"


def _object_geom(o: ObjectSpec) -> str:
    rgba = _rgba(o.colour)
    common = f'name="{o.id}" rgba="{rgba}" mass="0.05" friction="1.2 0.01 0.01" condim="4"'
    if o.shape == "cube":
        return f'<geom type="box" size="{HALF} {HALF} {HALF}" {common}/>'
    if o.shape == "cylinder":
        return f'<geom type="cylinder" size="{HALF} {HALF}" {common}/>'
    if o.shape == "ball":
        return f'<geom type="sphere" size="{HALF}" {common} condim="6" friction="1.2 0.05 0.05"/>'.replace(
            'condim="4" ', '').replace('friction="1.2 0.01 0.01" ', '')
    if o.shape == "ellipsoid":
        return f'<geom type="ellipsoid" size="{HALF * 1.3} {HALF} {HALF}" {common}/>'
    return f'<geom type="capsule" size="{HALF * 0.8} {HALF * 1.3}" euler="0 90 0" {common}/>'


def _container(c: ContainerSpec) -> str:
    rgba = _rgba(c.colour)
    x, y = c.pos
    if c.type == "bowl":
        r, walls = 0.065, []
        for k in range(8):
            a = k * math.pi / 4
            walls.append(
                f'<geom type="box" size="0.006 0.027 0.018" pos="{r * math.cos(a):.4f} {r * math.sin(a):.4f} 0.018" '
                f'euler="0 0 {a:.4f}" rgba="{rgba}"/>'
            )
        return (f'<body name="{c.id}" pos="{x} {y} 0"><geom name="{c.id}" type="cylinder" size="{r} 0.004" '
                f'pos="0 0 0.004" rgba="{rgba}"/>{"".join(walls)}</body>')
    hx, hy = 0.08, 0.065
    return (
        f'<body name="{c.id}" pos="{x} {y} 0"><geom name="{c.id}" type="box" size="{hx} {hy} 0.004" pos="0 0 0.004" rgba="{rgba}"/>'
        f'<geom type="box" size="{hx} 0.005 0.014" pos="0 {hy} 0.014" rgba="{rgba}"/>'
        f'<geom type="box" size="{hx} 0.005 0.014" pos="0 {-hy} 0.014" rgba="{rgba}"/>'
        f'<geom type="box" size="0.005 {hy} 0.014" pos="{hx} 0 0.014" rgba="{rgba}"/>'
        f'<geom type="box" size="0.005 {hy} 0.014" pos="{-hx} 0 0.014" rgba="{rgba}"/></body>'
    )


def _drawer(i: int) -> str:
    """A cabinet (fixed top, sides, back) and a drawer sliding out towards the camera."""
    x, wood, inner = DRAWER_XS[i], "0.6 0.42 0.25 1", "0.75 0.6 0.42 1"
    name = f"drawer_{i + 1}"
    return (
        f'<body name="cabinet_{i + 1}" pos="{x} {DRAWER_Y} 0">'
        f'<geom type="box" size="0.09 0.085 0.006" pos="0 0 0.106" rgba="{wood}" contype="1" conaffinity="1"/>'
        f'<geom type="box" size="0.005 0.085 0.05" pos="0.085 0 0.05" rgba="{wood}"/>'
        f'<geom type="box" size="0.005 0.085 0.05" pos="-0.085 0 0.05" rgba="{wood}"/>'
        f'<geom type="box" size="0.09 0.005 0.05" pos="0 0.085 0.05" rgba="{wood}"/>'
        f'<body name="{name}" pos="0 0 0"><joint name="{name}" type="slide" axis="0 1 0" range="-{DRAWER_TRAVEL} 0" damping="50"/>'
        f'<geom name="{name}" type="box" size="0.075 0.075 0.004" pos="0 0 0.01" rgba="{inner}"/>'
        f'<geom type="box" size="0.08 0.005 0.047" pos="0 -0.08 0.05" rgba="{wood}"/>'
        f'<geom type="box" size="0.02 0.006 0.006" pos="0 -0.09 0.06" rgba="0.2 0.2 0.2 1"/>'
        f'<geom type="box" size="0.075 0.004 0.03" pos="0 0.074 0.03" rgba="{inner}"/>'
        f'<geom type="box" size="0.004 0.075 0.03" pos="0.072 0 0.03" rgba="{inner}"/>'
        f'<geom type="box" size="0.004 0.075 0.03" pos="-0.072 0 0.03" rgba="{inner}"/>'
        "</body></body>"
    )


def build_mjcf(spec: SceneSpec) -> str:
    objects = "".join(
        f'<body name="{o.id}" pos="{o.pos[0]} {o.pos[1]} {HALF + 0.002}"><freejoint name="{o.id}"/>{_object_geom(o)}</body>'
        for o in spec.objects
    )
    containers = "".join(_container(c) for c in spec.containers)
    drawers = "".join(_drawer(i) for i in range(spec.drawers))
    cup = ""
    if spec.cup is not None:
        # Collides with the table only (contype 2): an object under it stays where it is.
        cup = (f'<body name="{CUP}" pos="{spec.cup[0]} {spec.cup[1]} 0.041"><freejoint name="{CUP}"/>'
               f'<geom name="{CUP}" type="cylinder" size="0.042 0.04" rgba="0.9 0.9 0.95 1" mass="0.1" '
               'contype="2" conaffinity="0"/></body>')
    return f"""<mujoco model="tabletop">
  <option timestep="0.004" gravity="0 0 -9.81"/>
  <visual><quality shadowsize="0"/><global offwidth="640" offheight="640"/>
    <headlight ambient="0.45 0.45 0.45" diffuse="0.55 0.55 0.55" specular="0 0 0"/></visual>
  <default><geom contype="1" conaffinity="1" friction="1 0.01 0.01"/></default>
  <worldbody>
    <camera name="main" pos="0 -0.78 0.8" xyaxes="1 0 0 0 0.72 0.69" fovy="50"/>
    <geom name="table" type="box" size="{TABLE_X} {TABLE_Y} 0.02" pos="0 0 -0.02" rgba="0.82 0.78 0.7 1" contype="1" conaffinity="3"/>
    <geom name="floor" type="plane" size="2 2 0.1" pos="0 0 -0.6" rgba="0.3 0.3 0.32 1"/>
    <body name="gripper" mocap="true" pos="0 -0.25 0.3">
      <geom type="box" size="0.03 0.012 0.012" rgba="0.25 0.25 0.28 1" contype="0" conaffinity="0"/>
      <geom type="box" size="0.004 0.01 0.025" pos="0.026 0 -0.035" rgba="0.25 0.25 0.28 1" contype="0" conaffinity="0"/>
      <geom type="box" size="0.004 0.01 0.025" pos="-0.026 0 -0.035" rgba="0.25 0.25 0.28 1" contype="0" conaffinity="0"/>
      <geom type="cylinder" size="0.008 0.15" pos="0 0 0.16" rgba="0.4 0.4 0.42 1" contype="0" conaffinity="0"/>
    </body>
    {containers}{drawers}{objects}{cup}
  </worldbody>
</mujoco>"""
