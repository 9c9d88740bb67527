"""`--disturb P`: realistic execution failures injected with probability P per skill.

Each one breaks the running skill's own expected effect, so the effect validator sees it in
the next scene graph: a grasp that misses, an object that slips from the fingers on the way,
an object knocked off right after it was placed, a drawer that slides shut again, a cup that
slips back down.
"""

from __future__ import annotations

from enum import Enum

import numpy as np

from agentloop.skills.robot import Lift, Open, Pick, Place


class Disturbance(str, Enum):
    """An injected execution failure, each of one skill."""

    MISS = "miss"  # pick: the fingers close beside the object
    DROP = "drop"  # place: the object slips out on the way
    KNOCK = "knock"  # place: the retreating gripper knocks it out again
    SLIDE_SHUT = "slide_shut"  # open: the drawer slides shut again
    SLIP_COVER = "slip_cover"  # lift: the cup slips from the fingers


class Disturber:
    """Draws, per skill run, whether and how it fails; logs what it injected."""

    def __init__(self, p: float, rng: np.random.Generator):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"disturb probability must lie in [0, 1], got {p}")
        self.p, self.rng = p, rng
        self.log: list[tuple[str, Disturbance]] = []

    def draw(self, skill: str) -> Disturbance | None:
        """The failure to inject into this run of the skill named `skill`, if any."""
        if self.p <= 0.0 or self.rng.random() >= self.p:
            return None
        kind: Disturbance | None = {
            Pick.name: Disturbance.MISS,
            Place.name: Disturbance.DROP if self.rng.random() < 0.5 else Disturbance.KNOCK,
            Open.name: Disturbance.SLIDE_SHUT,
            Lift.name: Disturbance.SLIP_COVER,
        }.get(skill)
        if kind is not None:
            self.log.append((skill, kind))
        return kind
