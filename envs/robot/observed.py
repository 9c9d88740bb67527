"""What the simulator observed while a skill ran: what the fingers felt when they closed, how
far the skill's object moved and where it came to rest, how far a drawer slid, and what else
moved that the skill had no business moving.

The env records it for every step that moved the world, as one sentence in
`Perception.extra["observed"]` (and the facts behind it in `extra["observed_facts"]`), so that
a failed grasp or place says why it failed ("the fingers closed to 0 mm on nothing, 48 mm
beside banana") instead of only which effect is missing.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agentloop.envs.robot.scene import CUP
from agentloop.envs.robot.world import World

OBSERVED_FACTS = "observed_facts"  # Perception.extra key of the facts behind it
MOVED_MM = 0.5  # a body that moved less than this (mm) counts as having stayed put


class Felt(BaseModel):
    """What the fingers felt as they closed on `target`."""

    target: str
    fingers_on: int = Field(description="fingers touching the target when they stopped: 0, 1 or 2")
    touched: list[str] = Field(default_factory=list, description="other bodies the fingers touched")
    gap_mm: float = Field(description="how far apart the fingers stopped")
    offset_mm: float = Field(description="horizontal distance from the grip point to the target's centre")

    def text(self) -> str:
        if self.fingers_on == 2:
            return f"both fingers on {self.target}, closed to {self.gap_mm:.0f} mm"
        on = "only one finger touched" if self.fingers_on == 1 else "no finger touched"
        others = f", they touched {', '.join(self.touched)}" if self.touched else ""
        return (f"the fingers closed to {self.gap_mm:.0f} mm: {on} {self.target}{others}; "
                f"the grip point was {self.offset_mm:.0f} mm from its centre")


class Observed(BaseModel):
    """The simulator's account of one skill (see the module's docstring)."""

    skill: str
    target: str | None = Field(default=None, description="the body the skill acted on")
    felt: Felt | None = None
    moved_mm: float | None = Field(default=None, description="how far the target moved in the skill")
    rest: str | None = Field(default=None, description="where the target lies afterwards")
    held: bool | None = Field(default=None, description="whether the gripper holds the target afterwards")
    notes: list[str] = Field(default_factory=list, description="the skill's own measurements")
    others: dict[str, float] = Field(default_factory=dict, description="other bodies that moved, in mm")

    def text(self) -> str:
        parts = []
        if self.felt is not None:
            parts.append(self.felt.text())
        if self.target is not None and self.moved_mm is not None:
            where = f", {self.rest}" if self.rest else ""
            held = f", {'held' if self.held else 'not held'}" if self.held is not None else ""
            parts.append(f"{self.target} moved {self.moved_mm:.0f} mm{where}{held}")
        parts += self.notes
        if self.others:
            parts.append("also moved: " + ", ".join(f"{k} {v:.1f} mm" for k, v in self.others.items()))
        return "; ".join(parts) if parts else "nothing moved"


def moved(before: dict[str, np.ndarray], after: dict[str, np.ndarray], skip: set[str]) -> dict[str, float]:
    """The bodies of `before` not in `skip` that moved at least `MOVED_MM`, in mm."""
    out = {}
    for body, p in before.items():
        d = float(np.linalg.norm(after[body] - p)) * 1000
        if body not in skip and d >= MOVED_MM:
            out[body] = round(d, 1)
    return out


class Before(BaseModel):
    """The world as a skill found it: where each free body was, how far each drawer was out."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    positions: dict[str, np.ndarray]
    drawers: dict[str, float]  # drawer -> how far out (m)
    riding: set[str] = Field(default_factory=set, description="objects in the drawer the skill moves")


def before(world: World, drawer: str | None) -> Before:
    """What `account` compares the world after a skill with (`drawer`: the one it slides)."""
    bodies = [*world.objects, *([CUP] if world.spec.cup is not None else [])]
    # Grounding has not run yet: the call may name a drawer there is none of (then it is refused).
    riding = {o for o in world.objects if drawer in world.drawers and world.in_drawer(o, drawer)}
    return Before(positions={b: world.pos(b) for b in bodies}, riding=riding,
                  drawers={d: _out(world, d) for d in world.drawers})


def _out(world: World, drawer: str) -> float:
    """How far the drawer is out of its cabinet (m; its slide joint runs from 0 to minus its travel)."""
    return max(0.0, -float(world.data.joint(drawer).qpos[0]))


def rest(world: World, body: str) -> str:
    """Where `body` lies now, in the scene graph's words."""
    if world.held == body:
        return "in the gripper"
    if body in world.objects:
        if (loc := world.location_of(body)) is not None:
            return f"in {loc}"
        if (under := next((o for o in world.objects if o != body and world.on_object(body, o)), None)) is not None:
            return f"on {under}"
    return "on the table" if world.on_table(body) else "off the table"


def account(world: World, skill: str, target: str | None, was: Before, felt: Felt | None,
            notes: list[str]) -> Observed:
    """The simulator's account of a skill that acted on `target`, from the world before it."""
    now = {b: world.pos(b) for b in was.positions}
    out = Observed(skill=skill, target=target, felt=felt, notes=list(notes),
                   others=moved(was.positions, now, {*filter(None, [target, world.held]), *was.riding}))
    if target in was.positions:
        out.moved_mm = round(float(np.linalg.norm(now[target] - was.positions[target])) * 1000, 1)
        out.rest = rest(world, target)
        out.held = world.held == target if target in world.objects else None
    elif target in was.drawers:
        out.notes.insert(0, f"{target} is {100 * _out(world, target):.1f} cm out "
                            f"(was {100 * was.drawers[target]:.1f} cm)")
    return out
