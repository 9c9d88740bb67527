"""The Franka Panda arm: its MJCF and meshes, read at run time from the installed
`gymnasium-robotics` package (`envs/assets/kitchen_franka/franka_assets`), mounted on a
pedestal behind the table and facing the camera.

Nothing of the arm is copied into this repository: `arm_parts()` splices the package's
`assets.xml`, `chain.xml` and `actuator.xml` into the tabletop's MJCF, and `tune()` sets what
the tabletop needs (gravity compensation, servo gains, nimble fingers).
"""

from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path
from typing import NamedTuple

import mujoco
import numpy as np

from agentloop.errors import ConfigError

PACKAGE = "gymnasium_robotics"  # ships the Franka Panda's MJCF and meshes
IK_PACKAGE = "mink"
ASSET_PATH = ("envs", "assets", "kitchen_franka", "franka_assets")
ARM_JOINTS = tuple(f"robot:panda0_joint{i}" for i in range(1, 8))
FINGER_JOINTS = ("robot:panda0_finger_joint1", "robot:panda0_finger_joint2")
HAND = "panda0_link7"  # the body the hand is part of; grasp welds attach to it
FINGERS = ("panda0_leftfinger", "panda0_rightfinger")
EE_SITE = "end_effector"  # the package's site between the finger roots
GRIP_DEPTH = 0.035  # from that site to the grip point, along the approach axis (m)
BASE_POS = (0.0, 0.42, 0.0)  # the arm's base: behind the cabinets, on the table's far edge
BASE_YAW = -np.pi / 2  # the arm's zero pose points towards the camera (-y)
# Hand pointing down 40 cm over the middle cabinet: out of the camera's view of the table
# and of the drawers' insides (it projects far behind them). Every skill starts and ends here.
HOME = np.array([0.0, -1.19, 0.0, -2.667, 0.0, -0.092, 0.785])
FINGER_OPEN = 0.04  # finger joint position when open (m), per finger
KP_ARM = np.array([4000.0, 4000.0, 3000.0, 3000.0, 800.0, 500.0, 300.0])  # servo stiffness per joint
DAMP_ARM = np.array([160.0, 160.0, 120.0, 120.0, 20.0, 12.0, 6.0])  # joint damping (N m s / rad)
# Above a real Panda's 87 / 12 N m: the servos also carry the joint damping the sim needs.
FORCE_ARM = np.array([500.0, 500.0, 400.0, 400.0, 60.0, 60.0, 40.0])


class FrankaAssets(NamedTuple):
    """The package's Franka MJCF pieces, ready to splice into a model."""

    head: str  # compiler, sizes, mesh assets and default classes (meshdir made absolute)
    chain: str  # the arm's kinematic chain, link0 to the fingers
    actuators: str  # one position servo per joint and finger


def asset_dir() -> Path:
    """Where the installed `gymnasium-robotics` keeps the Franka assets; a `ConfigError`
    that says what to install when it is missing."""
    spec = importlib.util.find_spec(PACKAGE)
    roots = list(spec.submodule_search_locations or []) if spec is not None else []
    for root in roots:
        path = Path(root).joinpath(*ASSET_PATH)
        if (path / "chain.xml").is_file():
            return path
    raise ConfigError(
        "the robot arm needs the Franka Panda model shipped in the gymnasium-robotics package: "
        "pip install 'agentloop[robot]' (or gymnasium-robotics), or run without the arm "
        "(--env-arg arm=none)"
    )


def require() -> Path:
    """Check that what the arm needs is installed (the Franka assets and `mink`, the IK
    solver); a `ConfigError` that says what to install if not. Returns the assets' folder."""
    path = asset_dir()
    if importlib.util.find_spec(IK_PACKAGE) is None:
        raise ConfigError(
            "the robot arm needs the mink inverse-kinematics package: pip install 'agentloop[robot]' "
            "(or mink), or run without the arm (--env-arg arm=none)"
        )
    return path


def _inner(path: Path) -> str:
    found = re.search(r"<mujocoinclude>(.*)</mujocoinclude>", path.read_text(), re.S)
    if found is None:
        raise ConfigError(f"{path} is not a MuJoCo include file this env can read")
    return found.group(1)


@functools.cache
def franka_assets() -> FrankaAssets:
    """The Franka pieces from the installed package (read once per process; immutable
    strings, so every env on every thread may share them)."""
    root = asset_dir()
    head = _inner(root / "assets.xml")
    if 'meshdir="franka_assets/meshes"' not in head:
        raise ConfigError(f"{root / 'assets.xml'} does not name its mesh folder as expected")
    # Absolute mesh paths: MuJoCo then caches the compiled meshes across the episodes' models.
    head = head.replace('meshdir="franka_assets/meshes"', f'meshdir="{root / "meshes"}"')
    head = re.sub(r"<option[^>]*/>", "", head)  # the tabletop sets its own time step
    # Drawn with the package's low-poly collision meshes: at the camera's few hundred pixels
    # they look the same as the 6 MB visual ones, and software GL draws them ten times faster.
    head = head.replace('file="visual/', 'file="collision/')
    # Gravity compensation on every link, as a Panda's controller gives it (set before
    # compiling: MuJoCo decides at compile time whether a model has any).
    chain = _inner(root / "chain.xml").replace("<body ", '<body gravcomp="1" ')
    return FrankaAssets(head, chain, _inner(root / "actuator.xml"))


def arm_parts() -> tuple[str, str, str]:
    """The arm's MJCF in three pieces: what goes before the worldbody, the pedestal and arm
    inside it, and the actuators after it."""
    a = franka_assets()
    x, y, z = BASE_POS
    body = (
        f'<geom name="pedestal" type="box" size="0.11 0.11 0.3" pos="{x} {y} {z - 0.3}" rgba="0.3 0.32 0.36 1"/>'
        f'<body name="panda_base" pos="{x} {y} {z}" euler="0 0 {BASE_YAW:.6f}">{a.chain}</body>'
    )
    return a.head, body, a.actuators


def _ids(model: mujoco.MjModel, names: tuple[str, ...], kind: mujoco.mjtObj) -> list[int]:
    return [mujoco.mj_name2id(model, kind, n) for n in names]


def tune(model: mujoco.MjModel) -> None:
    """Stiff joint servos with light damping, and fingers that close in a tenth of a second
    (the package's are slow and heavy)."""
    joints = _ids(model, ARM_JOINTS, mujoco.mjtObj.mjOBJ_JOINT)
    model.dof_damping[[model.jnt_dofadr[j] for j in joints]] = DAMP_ARM
    fingers = _ids(model, FINGER_JOINTS, mujoco.mjtObj.mjOBJ_JOINT)
    model.dof_damping[[model.jnt_dofadr[j] for j in fingers]] = 20.0
    model.dof_armature[[model.jnt_dofadr[j] for j in fingers]] = 0.05
    for a in range(model.nu):
        j = int(model.actuator_trnid[a, 0])
        kp = KP_ARM[joints.index(j)] if j in joints else 800.0
        model.actuator_gainprm[a, 0] = kp
        model.actuator_biasprm[a, 1] = -kp
        if j in joints:
            model.actuator_forcerange[a] = (-FORCE_ARM[joints.index(j)], FORCE_ARM[joints.index(j)])
        else:
            model.actuator_forcerange[a] = (-40.0, 40.0)


@functools.cache
def ik_model() -> mujoco.MjModel:
    """The arm alone on its base (no table, no objects), for inverse kinematics.

    One compiled model for the process, shared by every env's solver on every thread: safe
    because nothing writes to it (mink and `ArmIK` only read an MjModel; each solver does its
    kinematics in an MjData of its own). Whatever changes per solve lives in that MjData."""
    head, body, _ = arm_parts()
    xml = f'<mujoco model="panda"><compiler angle="radian"/>{head}<worldbody>{body}</worldbody></mujoco>'
    return mujoco.MjModel.from_xml_string(xml)
