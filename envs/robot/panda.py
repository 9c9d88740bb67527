"""The Franka Panda as the tabletop's hand: every skill a short sequence of grip-point
waypoints (approach, descend, close the fingers, lift, carry, release; for a drawer, take the
handle and pull or push along the slide), planned in full before the arm moves and tracked
at the physics rate. The arm starts and ends every skill folded up behind the cabinets, out
of the camera's way.

A grasp holds only if both fingers touch the body when they close (then a weld keeps it
in the hand); everything else is physics: the approach, what the arm brushes on its way, how
a released object lands, how far a drawer really slid.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TypeVar

import numpy as np

from agentloop.envs.robot.arm import PandaArm, Segment, Waypoint
from agentloop.envs.robot.grasps import ranked_grasps
from agentloop.envs.robot.ik import ArmIK, down
from agentloop.envs.robot.observed import Felt
from agentloop.envs.robot.scene import DRAWER_TRAVEL, HANDLE_Y
from agentloop.envs.robot.world import World
from agentloop.errors import ActionError

ABOVE = 0.16  # clearance height of the grip point over what it approaches (m)
CARRY = 0.26  # grip height while carrying over the table (clears the cabinets)
GRASP_MIN_Z = 0.022  # the fingertips stay a few millimetres off the table
HANDLE_Z = 0.075  # grip height on a drawer's handle bar
KNOB_GRIP_Z = 0.059  # grip point above the cup's centre: on its knob, fingertips off its top
GRASP_SHIFTS = (0.0, -0.005, 0.005, -0.01, 0.01, -0.015, 0.015)  # grip point moves along the closing line (m)
MISS_OFFSET = 0.05  # an injected miss: the fingers come down this far beside the object

T = TypeVar("T")


def _yaw_period(shape: str) -> float | None:
    """How the fingers must close on an object of this shape: across a cube's faces
    (period pi/2), across an elongated item's long axis (pi), anyhow on round ones."""
    return {"cube": math.pi / 2, "capsule": math.pi, "ellipsoid": math.pi}.get(shape)


class PandaHand:
    """The tabletop's skills as Panda motions (see the module's docstring)."""

    def __init__(self, world: World, ik: ArmIK | None = None):
        self.world = world
        self.arm = PandaArm(world, ik)

    def gripper(self) -> tuple[np.ndarray, bool]:
        return self.arm.grip_point(), self.arm.fingers_open

    def take_felt(self) -> Felt | None:
        felt, self.arm.felt = self.arm.felt, None
        return felt

    def _grasps(self, obj: str, grip: np.ndarray) -> list[tuple[float, np.ndarray]]:
        """The (yaw, grip point) grasps to try on `obj` centred at `grip`, best first."""
        period = _yaw_period(self.world.objects[obj].shape)
        x_axis = self.world.data.body(obj).xmat.reshape(3, 3)[:, 0]
        base = math.atan2(x_axis[1], x_axis[0]) + (math.pi / 2 if period == math.pi else 0.0)
        natural = self.arm.choose_yaw(grip, None)
        return ranked_grasps(self.world, grip, period, base, natural, obj, GRASP_SHIFTS)

    def _first_feasible(self, grasps: list[tuple[float, np.ndarray]], plan: Callable[[float, np.ndarray], T]) -> T:
        """The plan for the first grasp the arm can reach; the first refusal if none."""
        refusal: ActionError | None = None
        for yaw, at in grasps:
            try:
                return plan(yaw, at)
            except ActionError as e:
                refusal = refusal or e
        if refusal is None:
            raise ValueError("no grasp yaw to try")
        raise refusal

    # ---- objects -----------------------------------------------------------------------------
    def pick(self, obj: str, miss: bool) -> None:
        p = self.world.pos(obj)
        grip = np.array([p[0], p[1], max(p[2], GRASP_MIN_Z)])

        def plan(yaw: float, at: np.ndarray) -> tuple[list[Segment], list[Segment]]:
            if miss:  # beside it, off the line the fingers close along
                at = at + MISS_OFFSET * np.array([-math.sin(yaw), math.cos(yaw), 0.0])
            approach = [Waypoint(at + (0, 0, ABOVE)), Waypoint(at + (0, 0, 0.05), seconds=0.35),
                        Waypoint(at, seconds=0.2)]
            first = self.arm.plan(approach, yaw, obj, home=False)
            return first, self.arm.plan([Waypoint(at + (0, 0, ABOVE), seconds=0.25)], yaw, obj, after=first)

        first, then = self._first_feasible(self._grasps(obj, grip), plan)
        self.arm.run(first, settle=0.08)
        if self.arm.grasp(obj):
            self.world.held = obj
        self.arm.run(then)

    def _release_plan(self, obj: str, dest: np.ndarray, what: str) -> tuple[list[Segment], list[Segment]]:
        """Segments that bring the held object's centre over `dest`, and back home after."""
        here = self.world.data.site_xmat[self.arm.site].reshape(3, 3)
        held = here.T @ (self.arm.grip_point() - self.world.pos(obj))  # in the hand's frame
        period = _yaw_period(self.world.objects[obj].shape) or math.pi / 2
        now = self.arm.hand_yaw()
        grasps = ranked_grasps(self.world, dest + here @ held, period, now, self.arm.choose_yaw(dest, None), None)

        def plan(yaw: float, _: np.ndarray) -> tuple[list[Segment], list[Segment]]:
            yaw = self.arm.nearest_yaw(yaw)
            grip = dest + down(yaw) @ held + (0, 0, 0.004)  # the hold, turned with the hand
            lower = [Waypoint(np.array([grip[0], grip[1], CARRY])), Waypoint(grip + (0, 0, 0.06)),
                     Waypoint(grip, seconds=0.15)]
            first = self.arm.plan(lower, yaw, what, home=False)
            return first, self.arm.plan([Waypoint(grip + (0, 0, 0.1), seconds=0.15)], yaw, what, after=first)

        return self._first_feasible(grasps, plan)

    def place(self, obj: str, dest: np.ndarray) -> None:
        lower, up = self._release_plan(obj, np.asarray(dest, dtype=float), "the place to put it")
        self.arm.run(lower, settle=0.05)
        self.world.held = None
        self.arm.release()
        self.arm.hold(0.15)
        self.arm.run(up)

    def pass_over(self, dest: np.ndarray) -> None:
        grip = np.asarray(dest, dtype=float) + (0, 0, 0.05)
        self.arm.run(self.arm.plan([Waypoint(grip)], self.arm.hand_yaw(), "the place to put it"))

    def drop_on_the_way(self, obj: str, spot: np.ndarray) -> None:
        grip = np.array([spot[0], spot[1], 0.12])
        plan = self.arm.plan([Waypoint(grip)], self.arm.hand_yaw(), "the way there")  # [there, home]
        self.arm.run(plan[:-1])
        self.world.held = None
        self.arm.release()
        self.arm.hold(0.3)
        self.arm.run(plan[-1:])

    def push(self, obj: str, dxy: tuple[float, float]) -> None:
        p = self.world.pos(obj)
        d = np.array([dxy[0], dxy[1], 0.0])
        unit = d / max(float(np.linalg.norm(d)), 1e-9)
        start = np.array([p[0], p[1], GRASP_MIN_Z + 0.004]) - 0.045 * unit
        yaw = math.atan2(unit[1], unit[0]) + math.pi / 2
        path = [Waypoint(start + (0, 0, ABOVE)), Waypoint(start, seconds=0.2),
                Waypoint(start + d, seconds=0.4),
                Waypoint(start + d + (0, 0, ABOVE))]
        plan = self.arm.plan(path, yaw, obj)
        self.arm.set_fingers(False)
        self.arm.run(plan)
        self.arm.set_fingers(True)

    # ---- drawers and the cup ---------------------------------------------------------------
    def _handle(self, drawer: str) -> np.ndarray:
        x, y, _ = self.world.pos(drawer)
        return np.array([x, y + HANDLE_Y, HANDLE_Z])

    def _slide(self, drawer: str, dy: float, what: str) -> None:
        grip = self._handle(drawer)
        reach = [Waypoint(grip + (0, 0, ABOVE)), Waypoint(grip, seconds=0.25)]
        slide = [Waypoint(grip + (0, dy, 0), seconds=abs(dy) / 0.3)]
        first = self.arm.plan(reach, 0.0, what, home=False)
        pull = self.arm.plan(slide, 0.0, what, home=False, after=first)
        up = self.arm.plan([Waypoint(pull[-1].grip + (0, 0, 0.1))], 0.0, what, after=pull)
        self.arm.run(first, settle=0.06)
        self.arm.grasp(drawer)
        self.arm.run(pull, settle=0.05)
        self.arm.release()
        self.arm.run(up)

    def open_drawer(self, drawer: str) -> None:
        self._slide(drawer, -(DRAWER_TRAVEL + 0.01), f"the handle of {drawer}")

    def close_drawer(self, drawer: str) -> None:
        shut = -float(self.world.data.joint(drawer).qpos[0])
        self._slide(drawer, shut + 0.01, f"the handle of {drawer}")

    def lift_cover(self, cover: str, spot: np.ndarray, slip: bool) -> None:
        w = self.world
        knob = w.pos(cover) + (0, 0, KNOB_GRIP_Z)
        aside = np.array([spot[0], spot[1], knob[2] + 0.003])
        yaw = self.arm.choose_yaw(knob, None)
        grab = [Waypoint(knob + (0, 0, ABOVE)), Waypoint(knob, seconds=0.2)]
        carry = [Waypoint(knob + (0, 0, 0.12), seconds=0.25),
                 Waypoint(aside + (0, 0, 0.12)), Waypoint(aside, seconds=0.2)]
        first = self.arm.plan(grab, yaw, cover, home=False)
        then = self.arm.plan(carry, yaw, "the place to set the cup", home=False, after=first)
        up = self.arm.plan([Waypoint(aside + (0, 0, 0.1))], yaw, cover, after=then)
        self.arm.run(first, settle=0.06)
        self.arm.grasp(cover)
        if slip:  # the knob slides out of the fingers as they start to lift
            self.arm.release()
        self.arm.run(then, settle=0.04)
        self.arm.release()
        self.arm.run(up)
