"""Inverse kinematics for the Panda's grip point, with `mink` on the arm alone.

A target is a grip point and an approach: the hand points straight down, its fingers close
along a horizontal axis at angle `yaw` (or whatever suits the arm, when the object is round).
Each solve starts from a seed (the previous waypoint's joints, or a posture turned towards
the target) and stops when the grip point is within `POS_TOL`; a target it cannot reach is
`None`, so a motion is known to be feasible before the arm moves.
"""

from __future__ import annotations

import math

import mink
import numpy as np

from agentloop.envs.robot.franka import ARM_JOINTS, BASE_POS, EE_SITE, FINGER_OPEN, GRIP_DEPTH, HOME, ik_model

POS_TOL = 0.004  # m: a grip point further off than this is not reached
ROT_TOL = 0.03  # rad
ITERATIONS = 60
DT = 0.05  # integration step of the differential IK (s); only its product with velocity counts
# A posture reaching down in front of the base, turned towards the target by joint 1.
REACH = np.array([0.0, 0.1, 0.0, -2.2, 0.0, 2.3, 0.785])


def down(yaw: float) -> np.ndarray:
    """The rotation of a hand pointing down whose fingers close along the horizontal `yaw`."""
    y = np.array([math.cos(yaw), math.sin(yaw), 0.0])
    z = np.array([0.0, 0.0, -1.0])
    return np.stack([np.cross(y, z), y, z], axis=1)


def half_turn_wrap(angle: float) -> float:
    """`angle` moved by a multiple of pi into [-pi/2, pi/2): a parallel gripper closing along
    a yaw or along that yaw plus pi grasps alike."""
    return (angle + math.pi / 2) % math.pi - math.pi / 2


def azimuth(p: np.ndarray) -> float:
    """Joint 1's angle that turns the arm (facing -y at zero) towards `p`."""
    return math.atan2(float(p[0]) - BASE_POS[0], BASE_POS[1] - float(p[1]))


def closing_yaw(rot: np.ndarray) -> float:
    """The horizontal angle of the fingers' closing axis for a hand rotation."""
    return math.atan2(rot[1, 1], rot[0, 1])


class ArmIK:
    """Solves grip-point targets for the arm's seven joints (fingers held open)."""

    def __init__(self) -> None:
        self.model = ik_model()
        self.config = mink.Configuration(self.model)
        self.adr = [int(self.model.jnt_qposadr[self.model.joint(j).id]) for j in ARM_JOINTS]
        self.task = mink.FrameTask(EE_SITE, "site", position_cost=1.0, orientation_cost=1.0, lm_damping=1.0)
        self.free_yaw = mink.FrameTask(EE_SITE, "site", position_cost=1.0,
                                       orientation_cost=np.array([1.0, 1.0, 0.0]), lm_damping=1.0)
        # A light pull towards the home posture keeps the redundant joint from drifting
        # along a path, so a motion's joints stay near those of the last one.
        self.posture = mink.PostureTask(self.model, cost=1e-2)
        self.posture.set_target(self._full(HOME))
        self.limits = [mink.ConfigurationLimit(self.model)]

    def seed_for(self, p: np.ndarray) -> np.ndarray:
        """A starting posture turned towards `p`."""
        q = REACH.copy()
        q[0] = azimuth(p)
        return q

    def _full(self, q7: np.ndarray) -> np.ndarray:
        q = self.model.qpos0.copy()
        q[self.adr] = q7
        q[[a for a in range(self.model.nq) if a not in self.adr]] = FINGER_OPEN
        return q

    def solve(self, grip: np.ndarray, yaw: float | None, seed: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Joints that put the grip point at `grip` pointing down, fingers closing along
        `yaw` (free when `None`), from `seed`; with the hand's rotation. `None`: unreachable."""
        task = self.task if yaw is not None else self.free_yaw
        rot = down(0.0 if yaw is None else yaw)
        site = grip - GRIP_DEPTH * rot[:, 2]
        task.set_target(mink.SE3.from_rotation_and_translation(mink.SO3.from_matrix(rot), site))
        self.config.update(self._full(seed))
        for _ in range(ITERATIONS):
            v = mink.solve_ik(self.config, [task, self.posture], DT, "daqp", damping=1e-3, limits=self.limits)
            self.config.integrate_inplace(v, DT)
            err = task.compute_error(self.config)
            rot_err = err[3:5] if yaw is None else err[3:]
            if np.linalg.norm(err[:3]) < POS_TOL * 0.5 and np.linalg.norm(rot_err) < ROT_TOL:
                break
        q = self.config.q[self.adr].copy()
        reached = self.config.get_transform_frame_to_world(EE_SITE, "site")
        hand = reached.rotation().as_matrix()
        grip_reached = reached.translation() + GRIP_DEPTH * hand[:, 2]
        if np.linalg.norm(grip_reached - grip) > POS_TOL or hand[2, 2] > -math.cos(ROT_TOL * 4):
            return None
        return q, hand

    def grip_of(self, q7: np.ndarray) -> np.ndarray:
        """The grip point of the joint configuration `q7`."""
        self.config.update(self._full(q7))
        t = self.config.get_transform_frame_to_world(EE_SITE, "site")
        return t.translation() + GRIP_DEPTH * t.rotation().as_matrix()[:, 2]

    def yaw_of(self, q7: np.ndarray) -> float:
        """The closing yaw of the joint configuration `q7`."""
        self.config.update(self._full(q7))
        return closing_yaw(self.config.get_transform_frame_to_world(EE_SITE, "site").rotation().as_matrix())
