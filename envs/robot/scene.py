"""The tabletop world as MJCF: a table, objects, bowls and trays, a cabinet of drawers with
bar handles on slide joints, an upturned cup with a knob, and either a Franka Panda on a
pedestal behind the table (`arm=True`) or an unseen mocap gripper (the fast mode).

`SceneSpec` is the seeded layout a task draws; `build_mjcf` turns it into XML. The tabletop is
MJCF primitives; the arm's MJCF and meshes come from the installed `gymnasium-robotics`
package (`franka.py`), nothing is downloaded. Angles are in radians throughout.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, Field

from agentloop.envs.robot.franka import HAND, arm_parts

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
DRAWER_HALF_X = 0.087  # half the inside width of a drawer (m)
CUP = "cup"  # the upturned cup: its body, joint, geom and scene-graph node
CUP_Z = 0.041  # height of the cup's body when it stands on the table
HANDLE_Y = -0.115  # the handle bar's offset from a drawer's centre, towards the camera
FAST_TIMESTEP, ARM_TIMESTEP = 0.004, 0.002  # the arm's servos need the finer step
# In front of the table, 40 degrees down: the table, the cabinets and the arm behind them.
CAMERA_POS, CAMERA_AXES = "0 -0.9 0.95", "1 0 0 0 0.643 0.766"


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
    # condim 6: rolling friction too. Without it a round body (a fruit lying on its side, a
    # tipped cylinder) that anything nudged rolls on for good, creeping millimetres a step.
    common = f'name="{o.id}" rgba="{rgba}" mass="0.05" friction="1.2 0.01 0.01" condim="6"'
    if o.shape == "cube":
        return f'<geom type="box" size="{HALF} {HALF} {HALF}" {common}/>'
    if o.shape == "cylinder":
        return f'<geom type="cylinder" size="{HALF} {HALF}" {common}/>'
    if o.shape == "ball":
        return f'<geom type="sphere" size="{HALF}" {common}/>'.replace('0.01 0.01', '0.05 0.05')
    if o.shape == "ellipsoid":
        return f'<geom type="ellipsoid" size="{HALF * 1.3} {HALF} {HALF}" {common}/>'
    return f'<geom type="capsule" size="{HALF * 0.8} {HALF * 1.3}" euler="0 {math.pi / 2:.6f} 0" {common}/>'


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


def _handle(name: str) -> str:
    """A vertical bar on two posts, standing off the drawer's front so fingers fit around it."""
    dark = 'rgba="0.2 0.2 0.2 1"'
    return (
        f'<geom name="{name}_handle" type="capsule" fromto="0 {HANDLE_Y} 0.035 0 {HANDLE_Y} 0.085" size="0.006" {dark}/>'
        f'<geom type="box" size="0.005 0.015 0.004" pos="0 -0.1 0.04" {dark}/>'
        f'<geom type="box" size="0.005 0.015 0.004" pos="0 -0.1 0.08" {dark}/>'
    )


def _drawer(i: int) -> str:
    """A cabinet (fixed top, sides, back) and a drawer sliding out towards the camera, wide
    enough for open fingers on either side of an object in its middle."""
    x, wood, inner = DRAWER_XS[i], "0.6 0.42 0.25 1", "0.75 0.6 0.42 1"
    name, w = f"drawer_{i + 1}", DRAWER_HALF_X
    return (
        f'<body name="cabinet_{i + 1}" pos="{x} {DRAWER_Y} 0">'
        f'<geom type="box" size="{w + 0.015} 0.085 0.006" pos="0 0 0.106" rgba="{wood}" contype="1" conaffinity="1"/>'
        f'<geom type="box" size="0.005 0.085 0.05" pos="{w + 0.01} 0 0.05" rgba="{wood}"/>'
        f'<geom type="box" size="0.005 0.085 0.05" pos="{-w - 0.01} 0 0.05" rgba="{wood}"/>'
        f'<geom type="box" size="{w + 0.015} 0.005 0.05" pos="0 0.085 0.05" rgba="{wood}"/>'
        f'<body name="{name}" pos="0 0 0"><joint name="{name}" type="slide" axis="0 1 0" range="-{DRAWER_TRAVEL} 0" damping="50"/>'
        f'<geom name="{name}" type="box" size="{w} 0.075 0.004" pos="0 0 0.01" rgba="{inner}"/>'
        f'<geom type="box" size="{w + 0.005} 0.005 0.047" pos="0 -0.08 0.05" rgba="{wood}"/>'
        f'{_handle(name)}'
        f'<geom type="box" size="{w} 0.004 0.03" pos="0 0.074 0.03" rgba="{inner}"/>'
        f'<geom type="box" size="0.004 0.075 0.03" pos="{w - 0.003} 0 0.03" rgba="{inner}"/>'
        f'<geom type="box" size="0.004 0.075 0.03" pos="{-w + 0.003} 0 0.03" rgba="{inner}"/>'
        "</body></body>"
    )


def _cup(xy: tuple[float, float]) -> str:
    """An upturned cup: a round top with a knob to grasp, on a ring of wall panels (hollow,
    so what it covers stays where it is)."""
    rgba = 'rgba="0.9 0.9 0.95 1"'
    walls = "".join(
        f'<geom type="box" size="0.003 0.0105 0.038" pos="{0.038 * math.cos(a):.4f} {0.038 * math.sin(a):.4f} -0.002" '
        f'euler="0 0 {a:.4f}" mass="0.006" {rgba}/>'
        for a in (k * math.pi / 6 for k in range(12))
    )
    return (f'<body name="{CUP}" pos="{xy[0]} {xy[1]} {CUP_Z}"><freejoint name="{CUP}"/>'
            f'<geom name="{CUP}" type="cylinder" size="0.042 0.003" pos="0 0 0.038" mass="0.03" {rgba}/>'
            f'<geom name="{CUP}_knob" type="cylinder" size="0.012 0.01" pos="0 0 0.051" mass="0.01" {rgba}/>'
            f"{walls}</body>")


def _gripper() -> str:
    """The fast mode's gripper: a mocap body that never touches anything."""
    grey = 'rgba="0.25 0.25 0.28 1" contype="0" conaffinity="0"'
    return (
        '<body name="gripper" mocap="true" pos="0 -0.25 0.3">'
        f'<geom type="box" size="0.03 0.012 0.012" {grey}/>'
        f'<geom type="box" size="0.004 0.01 0.025" pos="0.026 0 -0.035" {grey}/>'
        f'<geom type="box" size="0.004 0.01 0.025" pos="-0.026 0 -0.035" {grey}/>'
        '<geom type="cylinder" size="0.008 0.15" pos="0 0 0.16" rgba="0.4 0.4 0.42 1" contype="0" conaffinity="0"/>'
        "</body>"
    )


def graspable(spec: SceneSpec) -> list[str]:
    """Every body the hand can take hold of: objects, the cup, the drawers (by their handle)."""
    return [o.id for o in spec.objects] + ([CUP] if spec.cup is not None else []) + [
        f"drawer_{i + 1}" for i in range(spec.drawers)]


def build_mjcf(spec: SceneSpec, arm: bool = False) -> str:
    """The episode's MJCF: the tabletop of `spec`, with the Panda when `arm`, else the
    fast mode's mocap gripper."""
    objects = "".join(
        f'<body name="{o.id}" pos="{o.pos[0]} {o.pos[1]} {HALF + 0.002}"><freejoint name="{o.id}"/>{_object_geom(o)}</body>'
        for o in spec.objects
    )
    containers = "".join(_container(c) for c in spec.containers)
    drawers = "".join(_drawer(i) for i in range(spec.drawers))
    cup = _cup(spec.cup) if spec.cup is not None else ""
    head, hand, tail = "", _gripper(), ""
    if arm:
        head, hand, tail = arm_parts()
        welds = "".join(f'<weld name="grasp_{b}" body1="{HAND}" body2="{b}" active="false"/>' for b in graspable(spec))
        tail += f"<equality>{welds}</equality>"
    return f"""<mujoco model="tabletop">
  <compiler angle="radian"/>{head}
  <option timestep="{ARM_TIMESTEP if arm else FAST_TIMESTEP}" gravity="0 0 -9.81"{' integrator="implicitfast"' if arm else ""}/>
  <visual><quality shadowsize="0"/><global offwidth="640" offheight="640"/>
    <headlight ambient="0.45 0.45 0.45" diffuse="0.55 0.55 0.55" specular="0 0 0"/></visual>
  <default><geom contype="1" conaffinity="1" friction="1 0.01 0.01"/></default>
  <worldbody>
    <camera name="main" pos="{CAMERA_POS}" xyaxes="{CAMERA_AXES}" fovy="50"/>
    <geom name="table" type="box" size="{TABLE_X} {TABLE_Y} 0.02" pos="0 0 -0.02" rgba="0.82 0.78 0.7 1" contype="1" conaffinity="3"/>
    <geom name="floor" type="plane" size="2 2 0.1" pos="0 0 -0.6" rgba="0.3 0.3 0.32 1"/>
    {hand}
    {containers}{drawers}{objects}{cup}
  </worldbody>{tail}
</mujoco>"""
