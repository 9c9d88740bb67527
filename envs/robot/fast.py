"""The fast mode's hand (`arm=none`): an unseen mocap gripper. A grasp welds the object to it
kinematically (its free joint follows the gripper while held), a release lets it fall under
physics, a drawer is slid at once; the world settles for a few hundred `mj_step`s. A `pick`
costs about a frame's time: for tests and large data runs."""

from __future__ import annotations

import mujoco
import numpy as np

from agentloop.envs.robot.observed import Felt
from agentloop.envs.robot.scene import CUP_Z, HALF
from agentloop.envs.robot.world import SETTLE_STEPS, World

PARK = np.array([0.36, -0.3, 0.26])
HOLD_DROP = 0.045  # the held object's centre below the gripper


class MocapHand:
    """The fast mode's gripper (see the module's docstring)."""

    def __init__(self, world: World):
        self.world = world
        self.felt: Felt | None = None
        world.on_step = self._follow
        self.to(PARK)

    def _follow(self) -> None:
        if self.world.held is not None:
            self.world.set_pos(self.world.held, self.world.data.mocap_pos[0] - (0, 0, HOLD_DROP))

    def to(self, xyz) -> None:
        w = self.world
        w.data.mocap_pos[0] = xyz
        if w.held is not None:
            w.set_pos(w.held, np.asarray(xyz) - (0, 0, HOLD_DROP))
        mujoco.mj_forward(w.model, w.data)

    def gripper(self) -> tuple[np.ndarray, bool]:
        return self.world.data.mocap_pos[0].copy(), self.world.held is None

    def take_felt(self) -> Felt | None:
        felt, self.felt = self.felt, None
        return felt

    def pick(self, obj: str, miss: bool) -> None:
        w = self.world
        p = w.pos(obj)
        # Something resting on the object blocks the fingers: a physical miss.
        blocked = [o for o in w.objects if o != obj and w.on_object(o, obj)]
        self.to(p + (0, 0, 0.12))
        self.to(p + (0, 0, HOLD_DROP))
        # No fingers to sense with: what they would feel follows from what happens to them.
        self.felt = Felt(target=obj, fingers_on=0 if miss or blocked else 2, touched=blocked,
                         gap_mm=0.0 if miss or blocked else 2000 * HALF, offset_mm=6.0 if miss else 0.0)
        if miss or blocked:  # the fingers close beside it and nudge it
            w.set_pos(obj, p + (0.006, 0.0, 0.0), keep_rot=True)
            self.to(p + (0, 0, 0.15))
            w.settle(60)
        else:
            w.held = obj
            self.to(p + (0, 0, 0.15))
            w.settle(30)
        self.to(PARK)

    def place(self, obj: str, dest: np.ndarray) -> None:
        dest = np.asarray(dest, dtype=float)
        self.to(dest + (0, 0, 0.12))
        self.to(dest + (0, 0, HOLD_DROP))
        self.world.held = None
        self.world.settle(SETTLE_STEPS)
        self.to(PARK)

    def pass_over(self, dest: np.ndarray) -> None:
        self.to(dest + (0, 0, 0.05))
        self.to(PARK)

    def drop_on_the_way(self, obj: str, spot: np.ndarray) -> None:
        self.to(np.array([spot[0], spot[1], 0.08]))
        self.world.held = None
        self.world.settle(SETTLE_STEPS)
        self.to(PARK)

    def open_drawer(self, drawer: str) -> None:
        self.world.set_drawer(drawer, True)
        self.world.settle(40)

    def close_drawer(self, drawer: str) -> None:
        self.world.set_drawer(drawer, False)
        self.world.settle(40)

    def push(self, obj: str, dxy: tuple[float, float]) -> None:
        w = self.world
        p = w.pos(obj)
        w.set_pos(obj, (p[0] + dxy[0], p[1] + dxy[1], p[2] + 0.003), keep_rot=True)
        w.settle(SETTLE_STEPS)

    def lift_cover(self, cover: str, spot: np.ndarray, slip: bool) -> None:
        w = self.world
        if slip:  # the cup slipped from the fingers and stayed where it was
            w.settle(20)
            return
        w.set_pos(cover, (spot[0], spot[1], CUP_Z))
        w.settle(60)

