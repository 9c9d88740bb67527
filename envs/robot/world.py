"""The simulated world of one episode: MuJoCo model and data, the gripper's motions and the
ground truth that tasks check (never shown to the agent directly).

Motions are short: the mocap gripper goes to a pose, a grasp welds the object to it
kinematically (its free joint follows the gripper while held), a release lets it fall under
physics and the world settles for a few hundred `mj_step`s.
"""

from __future__ import annotations

import math

import mujoco
import numpy as np

from agentloop.envs.robot.scene import CUP, DRAWER_TRAVEL, HALF, TABLE_X, TABLE_Y, SceneSpec, build_mjcf
from agentloop.envs.robot.tasks import GoalRel

PARK = np.array([0.36, -0.3, 0.26])
SETTLE_STEPS = 150


class World:
    """One episode's MuJoCo model and data, the gripper's motions and the ground truth."""

    def __init__(self, spec: SceneSpec):
        self.spec = spec
        self.model = mujoco.MjModel.from_xml_string(build_mjcf(spec))
        self.data = mujoco.MjData(self.model)
        self.objects = {o.id: o for o in spec.objects}
        self.containers = {c.id: c for c in spec.containers}
        self.drawers = [f"drawer_{i + 1}" for i in range(spec.drawers)]
        self.held: str | None = None
        self._qadr = {oid: self.model.jnt_qposadr[self.model.joint(oid).id] for oid in self.objects}
        self._vadr = {oid: self.model.jnt_dofadr[self.model.joint(oid).id] for oid in self.objects}
        if spec.cup is not None:
            self._qadr[CUP] = self.model.jnt_qposadr[self.model.joint(CUP).id]
            self._vadr[CUP] = self.model.jnt_dofadr[self.model.joint(CUP).id]
        self.gripper_to(PARK)
        for d in spec.open_drawers:
            self.set_drawer(d, True)
        for o in spec.objects:  # objects start inside their drawer or under the cup
            if o.place.startswith("drawer_"):
                c = self.drawer_centre(o.place)
                self.set_pos(o.id, (c[0] + o.pos[0], c[1] + o.pos[1], c[2] + HALF + 0.002))
            elif o.place == CUP and spec.cup is not None:
                self.set_pos(o.id, (spec.cup[0], spec.cup[1], HALF + 0.002))
        self.settle(SETTLE_STEPS * 2)

    # ---- state ---------------------------------------------------------------------------
    def pos(self, body: str) -> np.ndarray:
        return self.data.body(body).xpos.copy()

    def set_pos(self, body: str, xyz, keep_rot: bool = False) -> None:
        a, v = self._qadr[body], self._vadr[body]
        self.data.qpos[a:a + 3] = xyz
        if not keep_rot:
            self.data.qpos[a + 3:a + 7] = (1, 0, 0, 0)
        self.data.qvel[v:v + 6] = 0
        mujoco.mj_forward(self.model, self.data)

    def drawer_open(self, drawer: str) -> bool:
        return float(self.data.joint(drawer).qpos[0]) < -DRAWER_TRAVEL * 0.6

    def drawer_centre(self, drawer: str) -> np.ndarray:
        return self.data.body(drawer).xpos + np.array([0.0, 0.0, 0.014])

    def gripper_to(self, xyz) -> None:
        self.data.mocap_pos[0] = xyz
        if self.held is not None:
            self.set_pos(self.held, np.asarray(xyz) - (0, 0, 0.045))
        mujoco.mj_forward(self.model, self.data)

    def settle(self, steps: int = SETTLE_STEPS) -> None:
        for _ in range(steps):
            mujoco.mj_step(self.model, self.data)
            if self.held is not None:
                self.set_pos(self.held, self.data.mocap_pos[0] - (0, 0, 0.045))

    # ---- motions ---------------------------------------------------------------------------
    def grasp(self, obj: str, miss: bool = False) -> bool:
        """Close the fingers on `obj`; it follows the gripper if the fingers caught it."""
        p = self.pos(obj)
        self.gripper_to(p + (0, 0, 0.12))
        self.gripper_to(p + (0, 0, 0.045))
        if miss:  # the fingers close beside it and nudge it
            self.set_pos(obj, p + (0.006, 0.0, 0.0), keep_rot=True)
            self.gripper_to(p + (0, 0, 0.15))
            self.settle(60)
            return False
        self.held = obj
        self.gripper_to(p + (0, 0, 0.15))
        self.settle(30)
        return True

    def release_at(self, xyz) -> None:
        """Carry what is held to above `xyz`, open the fingers, let it fall and settle."""
        xyz = np.asarray(xyz, dtype=float)
        self.gripper_to(xyz + (0, 0, 0.12))
        self.gripper_to(xyz + (0, 0, 0.045))
        self.held = None
        self.settle(SETTLE_STEPS)
        self.gripper_to(PARK)

    def drop_here(self) -> None:
        """The held object slips out of the fingers where the gripper is."""
        self.held = None
        self.settle(SETTLE_STEPS)

    def set_drawer(self, drawer: str, open_: bool) -> None:
        """Slide a drawer; what lies in it rides along (friction on its floor)."""
        inside = [o for o in self.objects if self.in_drawer(o, drawer)]
        before = self.pos(drawer)
        self.data.joint(drawer).qpos[0] = -DRAWER_TRAVEL if open_ else 0.0
        self.data.joint(drawer).qvel[0] = 0.0
        mujoco.mj_forward(self.model, self.data)
        delta = self.pos(drawer) - before
        for o in inside:
            self.set_pos(o, self.pos(o) + delta, keep_rot=True)

    def shove(self, obj: str, dxy, steps: int = SETTLE_STEPS) -> None:
        p = self.pos(obj)
        self.set_pos(obj, (p[0] + dxy[0], p[1] + dxy[1], p[2] + 0.003), keep_rot=True)
        self.settle(steps)

    # ---- ground truth ----------------------------------------------------------------------
    def on_table(self, obj: str) -> bool:
        p = self.pos(obj)
        return abs(p[0]) < TABLE_X and abs(p[1]) < TABLE_Y and p[2] > -0.01

    def in_container(self, obj: str, cid: str) -> bool:
        c, p = self.containers[cid], self.pos(obj)
        dx, dy = p[0] - c.pos[0], p[1] - c.pos[1]
        inside = math.hypot(dx, dy) < 0.06 if c.type == "bowl" else (abs(dx) < 0.075 and abs(dy) < 0.06)
        return inside and 0.0 < p[2] < 0.09

    def in_drawer(self, obj: str, drawer: str) -> bool:
        c, p = self.drawer_centre(drawer), self.pos(obj)
        return abs(p[0] - c[0]) < 0.07 and abs(p[1] - c[1]) < 0.07 and p[2] < 0.08

    def on_object(self, obj: str, base: str) -> bool:
        p, b = self.pos(obj), self.pos(base)
        return math.hypot(p[0] - b[0], p[1] - b[1]) < 0.03 and 0.025 < p[2] - b[2] < 0.06

    def holds(self, obj: str, rel: GoalRel, target: str) -> bool:
        """Whether `obj rel target` holds on ground truth (`closed` is a drawer's own state)."""
        if rel is GoalRel.CLOSED:
            return obj in self.drawers and not self.drawer_open(obj)
        if obj not in self.objects:
            return False
        if rel is GoalRel.IN and target in self.containers:
            return self.in_container(obj, target)
        if rel is GoalRel.IN and target in self.drawers:
            return self.in_drawer(obj, target)
        if rel is GoalRel.ON and target in self.objects:
            return self.on_object(obj, target)
        return False

    def location_of(self, obj: str) -> str | None:
        """Which container or drawer holds `obj` (ground truth), if any."""
        for c in self.containers:
            if self.in_container(obj, c):
                return c
        for d in self.drawers:
            if self.in_drawer(obj, d):
                return d
        return None

    def free_spot(self, rng: np.random.Generator, avoid: list[np.ndarray], margin: float = 0.07) -> np.ndarray:
        """A clear place on the front half of the table (for setting things aside)."""
        for _ in range(200):
            xy = np.array([rng.uniform(-0.32, 0.32), rng.uniform(-0.25, 0.05)])
            if all(np.hypot(*(xy - a[:2])) > margin for a in avoid):
                return xy
        return np.array([0.3, -0.25])

    def occupied(self) -> list[np.ndarray]:
        pts = [self.pos(o) for o in self.objects] + [np.array([*c.pos, 0.0]) for c in self.containers.values()]
        if self.spec.cup is not None:
            pts.append(self.pos(CUP))
        return pts
