"""The Panda's motion layer: grip-point waypoints solved by inverse kinematics *before* the
arm moves, then tracked by the joint servos at the physics rate; fingers that close until
they meet something; a grasp weld made only when both fingers touch the body.

A `Waypoint` is where the grip point should be (and how long the move there takes);
`PandaArm.plan` turns a list of them into joint-space segments, or raises `ActionError` naming
what is out of reach, with the world untouched. `PandaArm.run` executes a plan.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import mujoco
import numpy as np

from agentloop.envs.robot.franka import ARM_JOINTS, EE_SITE, FINGER_JOINTS, FINGER_OPEN, FINGERS, GRIP_DEPTH, HAND, HOME
from agentloop.envs.robot.ik import ArmIK, closing_yaw, half_turn_wrap
from agentloop.envs.robot.observed import Felt
from agentloop.envs.robot.world import World
from agentloop.errors import ActionError, ErrorKind

STRAIGHT_STEP = 0.02  # m between IK points along a move
FREE_SPEED = 0.5  # m/s of the grip point on a move that is not timed
MIN_SECONDS = 0.25  # even a short move eases in and out this long (no overshoot)
JOINT_SPEED = 1.2  # rad/s: no joint turns faster than this
FINGER_SECONDS = 0.12  # to open or close the fingers
GRASP_WAIT = 0.2  # at most this long for closing fingers to come to rest on something


class Waypoint(NamedTuple):
    """Where the grip point goes next, along a straight line from the last one, taking at
    least `seconds` (0: as fast as a free move goes)."""

    grip: np.ndarray
    seconds: float = 0.0


class Segment(NamedTuple):
    """Joint configurations to pass through, evenly, in `seconds`, ending with the grip
    point at `grip` and the fingers closing along `yaw`."""

    path: np.ndarray  # (n, 7)
    seconds: float
    grip: np.ndarray
    yaw: float


def _smooth(s: float) -> float:
    return s * s * (3.0 - 2.0 * s)


def _along(path: np.ndarray, s: float) -> np.ndarray:
    """The point at fraction `s` of a polyline of joint configurations (evenly spaced)."""
    last = len(path) - 1
    u = s * last
    i = min(int(u), max(last - 1, 0))
    return path[i] + (path[min(i + 1, last)] - path[i]) * (u - i)


class PandaArm:
    """The arm of one episode's world: plans, tracks, grips and welds. `ik`: the solver to
    plan with, one its env owns (a new one if none is given)."""

    def __init__(self, world: World, ik: ArmIK | None = None):
        self.world, m = world, world.model
        # Never one solver for the process: an `ArmIK` solves in its own MjData and mink
        # configuration and tasks, so two envs on two threads sharing one would overwrite each
        # other's targets and joints mid-solve (other plans, other outcomes, even a crash).
        self.ik = ik if ik is not None else ArmIK()
        self.qadr = [int(m.jnt_qposadr[m.joint(j).id]) for j in ARM_JOINTS]
        self.fadr = [int(m.jnt_qposadr[m.joint(j).id]) for j in FINGER_JOINTS]
        by_joint = {int(m.actuator_trnid[a, 0]): a for a in range(m.nu)}
        self.act = [by_joint[m.joint(j).id] for j in ARM_JOINTS]
        self.fact = [by_joint[m.joint(j).id] for j in FINGER_JOINTS]
        self.hand = m.body(HAND).id
        self.fingers = [m.body(f).id for f in FINGERS]
        self.site = m.site(EE_SITE).id
        # Velocity feed-forward: the servo's set point leads the path by damping / stiffness,
        # so the joint damping does not make the arm lag behind a moving target.
        self.lead = np.array([m.dof_damping[m.jnt_dofadr[m.joint(j).id]] for j in ARM_JOINTS]) / np.array(
            [m.actuator_gainprm[a, 0] for a in self.act])
        self.welds = {m.equality(e).name.removeprefix("grasp_"): e for e in range(m.neq)}
        self.attached: str | None = None
        self.felt: Felt | None = None  # what the fingers felt at the last grasp
        self.fingers_open = True
        self.target = HOME.copy()  # the servos' last set point
        world.data.qpos[self.qadr] = HOME
        world.data.qpos[self.fadr] = FINGER_OPEN
        world.data.ctrl[self.act] = HOME
        world.data.ctrl[self.fact] = FINGER_OPEN
        mujoco.mj_forward(m, world.data)

    # ---- state -------------------------------------------------------------------------------
    def q(self) -> np.ndarray:
        return self.world.data.qpos[self.qadr].copy()

    def grip_point(self) -> np.ndarray:
        d = self.world.data
        return d.site_xpos[self.site] + GRIP_DEPTH * d.site_xmat[self.site].reshape(3, 3)[:, 2]

    def feel(self, body: str) -> Felt:
        """What the fingers touch now: how many touch `body`, what else they touch (a body by
        its name; the table, part of the world body, by its geom's), how far apart they
        are and how far the grip point is from the body's centre."""
        m, d = self.world.model, self.world.data
        target, fingers, gb = m.body(body).id, set(self.fingers), m.geom_bodyid
        on, others = set(), set()
        for c in d.contact[: d.ncon]:
            geoms = (int(c.geom1), int(c.geom2))
            bodies = [int(gb[g]) for g in geoms]
            finger = fingers & set(bodies)
            if not finger:
                continue
            for g, b in zip(geoms, bodies, strict=True):
                if b == target:
                    on |= finger
                elif b not in fingers and b != self.hand:
                    others.add(m.body(b).name if b else m.geom(g).name)
        gap = max(0.0, float(d.qpos[self.fadr].sum()) * 1000)
        offset = float(np.linalg.norm((self.grip_point() - d.xpos[target])[:2])) * 1000
        return Felt(target=body, fingers_on=len(on), touched=sorted(others), gap_mm=round(gap, 1),
                    offset_mm=round(offset, 1))

    def hand_yaw(self) -> float:
        """The horizontal angle the fingers close along, now."""
        return closing_yaw(self.world.data.site_xmat[self.site].reshape(3, 3))

    def nearest_yaw(self, yaw: float) -> float:
        """Of `yaw` and its turns by pi (alike for a parallel gripper), the nearest to now."""
        now = self.hand_yaw()
        return now + half_turn_wrap(yaw - now)

    # ---- planning ----------------------------------------------------------------------------
    def choose_yaw(self, grip: np.ndarray, period: float | None, base: float = 0.0) -> float:
        """The closing yaw for a grasp at `grip`: the arm's natural one there, or where the
        object needs one of `base + k * period`, the one of those nearest to it."""
        solved = self.ik.solve(grip, None, self.ik.seed_for(grip))
        natural = self.hand_yaw() if solved is None else closing_yaw(solved[1])
        if period is None:
            return natural
        return base + round((natural - base) / period) * period

    def plan(self, waypoints: list[Waypoint], yaw: float, what: str, home: bool = True,
             after: list[Segment] | None = None) -> list[Segment]:
        """Joint segments along straight lines through `waypoints` (the fingers turning to
        close along `yaw`), from where the arm is or where the segments `after` leave it,
        then back home (`home`). `ActionError` naming `what` if a point is out of reach;
        nothing moves."""
        if after:
            q, grip, start_yaw = after[-1].path[-1], after[-1].grip, after[-1].yaw
        else:
            q, grip, start_yaw = self.target.copy(), self.grip_point(), self.hand_yaw()
        yaw = start_yaw + half_turn_wrap(yaw - start_yaw)  # a parallel gripper: yaw and yaw + pi are alike
        goals = [(wp, yaw) for wp in waypoints]
        if home:
            goals.append((Waypoint(self.ik.grip_of(HOME)), start_yaw + half_turn_wrap(self.ik.yaw_of(HOME) - start_yaw)))
        segments: list[Segment] = []
        for wp, to_yaw in goals:
            path = self._line(q, grip, start_yaw, wp.grip, to_yaw, what)
            segments.append(Segment(path, self._seconds(path, grip, wp), wp.grip, to_yaw))
            q, grip, start_yaw = path[-1], wp.grip, to_yaw
        if home:  # end exactly in the home posture, whatever the redundant joint drifted to
            last = segments[-1]
            path = np.vstack([last.path, HOME])
            segments[-1] = last._replace(path=path, seconds=max(last.seconds, self._seconds(path, last.grip, Waypoint(last.grip))))
        return segments

    def _line(self, q: np.ndarray, a: np.ndarray, yaw_a: float, b: np.ndarray, yaw_b: float,
              what: str) -> np.ndarray:
        """Joint configurations along the straight line from `a` to `b`, yaw turning evenly."""
        n = max(1, math.ceil(float(np.linalg.norm(b - a)) / STRAIGHT_STEP))
        path = [q]
        for k in range(1, n + 1):
            f = k / n
            solved = self.ik.solve(a + (b - a) * f, yaw_a + (yaw_b - yaw_a) * f, path[-1])
            if solved is None:
                raise ActionError(ErrorKind.NOT_VISIBLE, f"{what} is out of the arm's reach")
            path.append(solved[0])
        return np.array(path)

    @staticmethod
    def _seconds(path: np.ndarray, start: np.ndarray, wp: Waypoint) -> float:
        joint = float(np.abs(np.diff(path, axis=0)).sum(axis=0).max()) / JOINT_SPEED
        free = float(np.linalg.norm(wp.grip - start)) / FREE_SPEED
        return max(wp.seconds, joint, free, MIN_SECONDS)

    # ---- execution ---------------------------------------------------------------------------
    def run(self, segments: list[Segment], settle: float = 0.05) -> None:
        """Track each segment with the servos, easing in and out, then let the arm settle."""
        w = self.world
        dt = w.model.opt.timestep
        for seg in segments:
            steps = max(1, round(seg.seconds / dt))
            for k in range(1, steps + 1):
                before, self.target = self.target, _along(seg.path, _smooth(k / steps))
                w.data.ctrl[self.act] = self.target + self.lead * (self.target - before) / dt
                w.step()
            w.data.ctrl[self.act] = self.target
            self.hold(settle)

    def hold(self, seconds: float) -> None:
        for _ in range(round(seconds / self.world.model.opt.timestep)):
            self.world.step()

    def set_fingers(self, open_: bool) -> None:
        self.world.data.ctrl[self.fact] = FINGER_OPEN if open_ else 0.0
        self.fingers_open = open_
        self.hold(FINGER_SECONDS)

    def grasp(self, body: str) -> bool:
        """Close the fingers until they stop; weld `body` to the hand if both fingers touch
        it, else open them again (the hand feels it holds nothing) and report the miss."""
        self.set_fingers(False)
        d, dt = self.world.data, self.world.model.opt.timestep
        vadr = [self.world.model.jnt_dofadr[self.world.model.joint(j).id] for j in FINGER_JOINTS]
        for _ in range(round(GRASP_WAIT / dt)):
            if np.abs(d.qvel[vadr]).max() < 1e-3:
                break
            self.world.step()
        self.felt = self.feel(body)
        if self.felt.fingers_on < 2:
            self.set_fingers(True)
            return False
        self.attach(body)
        return True

    def attach(self, body: str) -> None:
        """Weld `body` to the hand where it is now."""
        m, d = self.world.model, self.world.data
        b = m.body(body).id
        rot = d.xmat[self.hand].reshape(3, 3)
        rel = rot.T @ (d.xpos[b] - d.xpos[self.hand])
        quat = np.zeros(4)
        inv = np.zeros(4)
        mujoco.mju_negQuat(inv, d.xquat[self.hand])
        mujoco.mju_mulQuat(quat, inv, d.xquat[b])
        e = self.welds[body]
        m.eq_data[e, 0:3] = 0.0
        m.eq_data[e, 3:6] = rel
        m.eq_data[e, 6:10] = quat
        m.eq_data[e, 10] = 1.0
        d.eq_active[e] = 1
        self.attached = body

    def release(self) -> None:
        """Open the fingers and undo the weld."""
        if self.attached is not None:
            self.world.data.eq_active[self.welds[self.attached]] = 0
            self.attached = None
        self.set_fingers(True)
