"""`--disturb P`: realistic execution failures injected with probability P per skill.

Each one breaks the running skill's own expected effect, so the effect validator sees it in
the next scene graph: a grasp that misses, an object that slips from the fingers on the way,
an object knocked off right after it was placed, a drawer that slides shut again, a cup that
slips back down.
"""

from __future__ import annotations

import numpy as np

Kind = str  # "miss" | "drop" | "knock" | "slide_shut" | "slip_cover"


class Disturber:
    def __init__(self, p: float, rng: np.random.Generator):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"disturb probability must lie in [0, 1], got {p}")
        self.p, self.rng = p, rng
        self.log: list[tuple[str, Kind]] = []

    def draw(self, skill: str) -> Kind | None:
        """The failure to inject into this run of `skill`, if any."""
        if self.p <= 0.0 or self.rng.random() >= self.p:
            return None
        kind: Kind | None = {
            "pick": "miss",
            "place": "drop" if self.rng.random() < 0.5 else "knock",
            "open": "slide_shut",
            "lift": "slip_cover",
        }.get(skill)
        if kind is not None:
            self.log.append((skill, kind))
        return kind
