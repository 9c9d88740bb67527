"""Where and which way the fingers should close: a grasp yaw the object's shape allows, and a
grip point moved a little along the closing line if that helps, chosen so that the open
fingers come down on free space (not on a drawer wall, under a cabinet's top, on a bowl's rim
or on a neighbour).

The check casts rays straight down where the open fingertips will go, as a depth camera over
the gripper would see it; the grasp whose fingertips stay clearest wins, the smaller shift and
the arm's natural yaw breaking ties.
"""

from __future__ import annotations

import math

import mujoco
import numpy as np

from agentloop.envs.robot.ik import half_turn_wrap
from agentloop.envs.robot.world import World

# Where the open fingers come down and sweep through as they close, from the grip point (m).
FINGER_REACH = tuple(0.022 + 0.004 * k for k in range(11))
FINGER_WIDTH = 0.01  # half the fingers' width across their closing line
TIP_BELOW_GRIP = 0.015  # the fingertips hang this far below the grip point
HAND_REACH = (0.07, 0.085, 0.1)  # the hand's body along the closing line, past the fingers
HAND_ABOVE_GRIP = 0.075  # the hand's underside over the grip point
RAY_FROM = 0.32  # height the rays start at: above everything on the table, below the arm's home


def clearance(world: World, grip: np.ndarray, yaw: float, exclude: str | None) -> float:
    """How far the open fingertips stay above whatever lies under them (m); negative when
    they would land on something. `exclude`: the body being grasped."""
    m, d = world.model, world.data
    body = m.body(exclude).id if exclude is not None else -1
    axis = np.array([math.cos(yaw), math.sin(yaw), 0.0])
    side = np.array([-axis[1], axis[0], 0.0])
    geom = np.zeros(1, dtype=np.int32)
    worst = math.inf
    levels = [(r, grip[2] - TIP_BELOW_GRIP) for r in FINGER_REACH] + [(r, grip[2] + HAND_ABOVE_GRIP) for r in HAND_REACH]
    for r, level in levels:
        for sign in (-1.0, 1.0):
            for s in (-FINGER_WIDTH, FINGER_WIDTH):
                p = grip + sign * r * axis + s * side
                dist = mujoco.mj_ray(m, d, np.array([p[0], p[1], RAY_FROM]), np.array([0.0, 0.0, -1.0]),
                                     None, 1, body, geom)
                top = RAY_FROM - dist if dist >= 0 else -math.inf
                worst = min(worst, level - top)
    return worst


def ranked_grasps(world: World, grip: np.ndarray, period: float | None, base: float, natural: float,
                  exclude: str | None, shifts: tuple[float, ...] = (0.0,)) -> list[tuple[float, np.ndarray]]:
    """Grasps at `grip`, best first, as (yaw, grip point): the yaws the shape allows
    (`base + k * period`, or four, 45 degrees apart, when any will do), each also with the
    grip point moved by `shifts` along the closing line (the open fingers leave the object
    that much room); ordered by fingertip clearance, then the smaller shift, then nearness to
    the arm's `natural` yaw. Yaws a half turn apart are the same grasp and appear once."""
    step = period if period is not None else math.pi / 4
    start = base if period is not None else natural
    turns = sorted({round(half_turn_wrap(start + k * step - natural), 6) for k in range(round(2 * math.pi / step))})
    scored = []
    for turn in turns:
        yaw = natural + turn
        axis = np.array([math.cos(yaw), math.sin(yaw), 0.0])
        for shift in shifts:
            at = grip + shift * axis
            free = min(clearance(world, at, yaw, exclude), 0.004)  # clear is clear
            scored.append((-free, abs(shift), abs(turn), yaw, at))
    scored.sort(key=lambda g: g[:3])
    return [(yaw, at) for *_, yaw, at in scored]
