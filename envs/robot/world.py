"""The simulated world of one episode: the MuJoCo model and data, the physics clock, and the
ground truth that tasks check (never shown to the agent directly).

What moves things on purpose is a hand (`hand.py`): the Panda arm (`panda.py`) or the fast
mode's mocap gripper (`fast.py`). The world only places, slides and settles.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import mujoco
import numpy as np

from agentloop.envs.robot.franka import tune
from agentloop.envs.robot.scene import CUP, DRAWER_HALF_X, DRAWER_TRAVEL, HALF, TABLE_X, TABLE_Y, SceneSpec, build_mjcf
from agentloop.envs.robot.tasks import GoalRel

SETTLE_STEPS = 150
SETTLE_SECONDS = 1.2  # how long the world settles after it is laid out


class World:
    """One episode's MuJoCo model and data, its physics clock and the ground truth."""

    def __init__(self, spec: SceneSpec, arm: bool = False):
        self.spec, self.arm = spec, arm
        self.model = mujoco.MjModel.from_xml_string(build_mjcf(spec, arm))
        if arm:
            tune(self.model)
        self.data = mujoco.MjData(self.model)
        self.objects = {o.id: o for o in spec.objects}
        self.containers = {c.id: c for c in spec.containers}
        self.drawers = [f"drawer_{i + 1}" for i in range(spec.drawers)]
        self.held: str | None = None
        # Called after every physics step (the fast mode keeps a held object in its fingers).
        self.on_step: Callable[[], None] | None = None
        self.physics_wall = 0.0  # wall seconds spent in `mj_step`, for the step's timings
        self._qadr = {oid: self.model.jnt_qposadr[self.model.joint(oid).id] for oid in self.objects}
        self._vadr = {oid: self.model.jnt_dofadr[self.model.joint(oid).id] for oid in self.objects}
        if spec.cup is not None:
            self._qadr[CUP] = self.model.jnt_qposadr[self.model.joint(CUP).id]
            self._vadr[CUP] = self.model.jnt_dofadr[self.model.joint(CUP).id]

    def arrange(self) -> None:
        """Open the drawers that start open, put objects in their drawer or under the cup,
        and let everything settle (after the hand has taken its starting pose)."""
        for d in self.spec.open_drawers:
            self.set_drawer(d, True)
        for o in self.spec.objects:
            if o.place.startswith("drawer_"):
                c = self.drawer_centre(o.place)
                self.set_pos(o.id, (c[0] + o.pos[0], c[1] + o.pos[1], c[2] + HALF + 0.002))
            elif o.place == CUP and self.spec.cup is not None:
                self.set_pos(o.id, (self.spec.cup[0], self.spec.cup[1], HALF + 0.002))
        self.settle(int(SETTLE_SECONDS / self.model.opt.timestep))
        mujoco.mj_forward(self.model, self.data)  # poses of the settled state, as a restore gives them

    def snapshot(self) -> np.ndarray:
        """The whole simulation state (time, joints, velocities, controls, welds, mocap)."""
        kind = mujoco.mjtState.mjSTATE_INTEGRATION
        state = np.empty(mujoco.mj_stateSize(self.model, kind))
        mujoco.mj_getState(self.model, self.data, state, kind)
        return state

    def restore(self, state: np.ndarray) -> None:
        """Back to a `snapshot()`, nothing in the hand: the same state, bit for bit."""
        mujoco.mj_setState(self.model, self.data, state, mujoco.mjtState.mjSTATE_INTEGRATION)
        mujoco.mj_forward(self.model, self.data)
        self.held = None

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

    def step(self) -> None:
        """One physics step."""
        t0 = time.perf_counter()
        mujoco.mj_step(self.model, self.data)
        if self.on_step is not None:
            self.on_step()
        self.physics_wall += time.perf_counter() - t0

    def settle(self, steps: int = SETTLE_STEPS) -> None:
        for _ in range(steps):
            self.step()

    def set_drawer(self, drawer: str, open_: bool) -> None:
        """Slide a drawer at once; what lies in it rides along (friction on its floor)."""
        inside = [o for o in self.objects if self.in_drawer(o, drawer)]
        before = self.pos(drawer)
        self.data.joint(drawer).qpos[0] = -DRAWER_TRAVEL if open_ else 0.0
        self.data.joint(drawer).qvel[0] = 0.0
        mujoco.mj_forward(self.model, self.data)
        delta = self.pos(drawer) - before
        for o in inside:
            self.set_pos(o, self.pos(o) + delta, keep_rot=True)

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
        return abs(p[0] - c[0]) < DRAWER_HALF_X - 0.005 and abs(p[1] - c[1]) < 0.07 and p[2] < 0.08

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
