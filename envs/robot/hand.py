"""What moves things in the tabletop: a `Hand`, one per episode. Two exist: the Franka Panda
(`panda.py`, the default: skills are IK motions tracked at the physics rate) and the fast
mode's mocap gripper (`fast.py`, `arm=none`: skills set poses and let the scene settle).

An env executor grounds a call, then asks the hand. A hand raises `ActionError` before
anything moves when it cannot do what is asked (a target out of the arm's reach); whatever
goes wrong while it moves is the world's business and shows in the next scene graph.
"""

from __future__ import annotations

from enum import Enum
from typing import Protocol

import numpy as np

from agentloop.envs.robot.observed import Felt


class ArmMode(str, Enum):
    """Which hand the tabletop has (`--env-arg arm=...`)."""

    PANDA = "panda"  # a Franka Panda moved by inverse kinematics: motions and their failures
    NONE = "none"  # the fast mode: an unseen gripper that sets poses (tests, large data runs)


class Hand(Protocol):
    """The motions behind the robot skills."""

    def pick(self, obj: str, miss: bool) -> None:
        """Grasp `obj` and lift it (`miss`: the fingers close beside it)."""

    def place(self, obj: str, dest: np.ndarray) -> None:
        """Carry the held `obj` above `dest` (its centre when set down) and let go."""

    def pass_over(self, dest: np.ndarray) -> None:
        """The motion of a place with nothing in the fingers."""

    def drop_on_the_way(self, obj: str, spot: np.ndarray) -> None:
        """Carry the held `obj` off and lose it over `spot` (an injected slip)."""

    def open_drawer(self, drawer: str) -> None:
        """Take the handle and pull the drawer open."""

    def close_drawer(self, drawer: str) -> None:
        """Push the drawer shut by its handle."""

    def push(self, obj: str, dxy: tuple[float, float]) -> None:
        """Slide `obj` by `dxy` along the table."""

    def lift_cover(self, cover: str, spot: np.ndarray, slip: bool) -> None:
        """Lift the cover and set it down at `spot` (`slip`: it slips from the fingers)."""

    def gripper(self) -> tuple[np.ndarray, bool]:
        """Where the grip point is, and whether the fingers are open."""

    def take_felt(self) -> Felt | None:
        """What the fingers felt at the last grasp since this was last asked (None: none)."""
