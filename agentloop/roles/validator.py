"""Validator role: check *after* acting that the step did what it should (ExploreVLM's
execution validator). A failure goes back to the planner as a reason to replan.

Implementations: `NoValidator` (open loop), `EffectValidator` (the skill's expected effects on
the next scene graph), `PixelChangeValidator` (OpenCV frame difference, for envs without a
scene graph), `ChainedValidator` (the rules first, a model confirming) and the VLM validator
in `agentloop.roles.vlm`.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import cv2
import numpy as np

from agentloop.context import Context
from agentloop.perception import OBSERVED
from agentloop.records import Verdict, VerdictSource
from agentloop.scene import SceneGraph
from agentloop.skillset import BoundCall


@runtime_checkable
class Validator(Protocol):
    """Judges a step after it ran, from the states before and after."""

    name: str

    def check(self, action: BoundCall, before: Context, after: Context) -> Verdict:
        """Did `action` have its intended effect between `before` and `after`?"""


class NoValidator:
    """Passes everything: the open loop."""

    name = "none"

    def check(self, action: BoundCall, before: Context, after: Context) -> Verdict:
        return Verdict(ok=True, source=VerdictSource.NONE)


def grounded(verdict: Verdict, before: Context, after: Context) -> Verdict:
    """The env's own account comes first: a step after which the env reports success, or more
    progress than before, passed, whatever a judge made of it. The judge's reason is kept in
    `overruled`, so its accuracy can still be measured."""
    if verdict.ok or not verdict.judged:
        return verdict
    was, now = before.perception, after.perception
    if now.success:
        why = "the env reports success"
    elif now.progress is not None and was.progress is not None and now.progress > was.progress:
        why = f"the env reports progress {was.progress:.2f} -> {now.progress:.2f}"
    else:
        return verdict
    return verdict.model_copy(update={
        "ok": True, "score": 1.0, "overruled": verdict.reason,
        "reason": f"{why}; the judge's objection is overruled ({verdict.reason})"})


def _env_error(after: Context) -> Verdict | None:
    err = after.perception.action_error
    if err is not None:
        return Verdict(ok=False, score=0.0, reason=f"the environment refused the action: {err}")
    return None


class EffectValidator:
    """Checks each of the skill's expected effects on the scene graph after the step."""

    name = "rule"

    def __init__(self, fallback: Validator | None = None):
        # Envs without a scene graph are checked on pixels instead.
        self.fallback = fallback or PixelChangeValidator()

    def check(self, action: BoundCall, before: Context, after: Context) -> Verdict:
        if (v := _env_error(after)) is not None:
            return v
        if before.scene is None or after.scene is None:
            return self.fallback.check(action, before, after)
        try:
            effects = action.skill.expected_effect(before.scene, action.args)
        except Exception as e:
            return Verdict(ok=False, score=0.0, reason=f"expected-effect check failed: {e!r}")
        if not effects:
            return Verdict(ok=True, score=1.0, reason="no effect expected")
        diff = SceneGraph.diff(before.scene, after.scene)
        missed = [str(e) for e in effects if not e.holds(before.scene, after.scene, diff)]
        if missed:
            seen = after.perception.extra.get(OBSERVED)
            why = f" (observed: {seen})" if isinstance(seen, str) and seen else ""
            return Verdict(
                ok=False, score=1.0 - len(missed) / len(effects),
                reason=f"{action.call} did not have its expected effect: " + "; ".join(missed) + why,
            )
        return Verdict(ok=True, score=1.0, reason="expected effects hold: " + "; ".join(map(str, effects)))


class PixelChangeValidator:
    """Fails a step that should change the screen but left it the same.

    Compares downscaled grey frames so that compression noise and a blinking caret do not
    count as change. Skills with no expected effect (wait, look) always pass.
    """

    name = "pixel"

    def __init__(self, threshold: float = 0.002, size: int = 128):
        self.threshold = threshold
        self.size = size

    def _small(self, frame: np.ndarray) -> np.ndarray:
        grey = cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2GRAY)
        return cv2.resize(grey, (self.size, self.size), interpolation=cv2.INTER_AREA)

    def check(self, action: BoundCall, before: Context, after: Context) -> Verdict:
        if (v := _env_error(after)) is not None:
            return v
        scene = before.scene or SceneGraph()
        try:
            expects_change = bool(action.skill.expected_effect(scene, action.args))
        except Exception:
            expects_change = True
        if not expects_change:
            return Verdict(ok=True, score=1.0, reason="no change expected", source=VerdictSource.PIXEL)
        fb, fa = before.frame, after.frame
        if fb is None or fa is None:
            return Verdict(ok=True, score=None, reason="no frames to compare", source=VerdictSource.PIXEL)
        delta = cv2.absdiff(self._small(fb), self._small(fa))
        changed = float(np.count_nonzero(delta > 12)) / delta.size
        if changed < self.threshold:
            return Verdict(
                ok=False, score=0.0, source=VerdictSource.PIXEL,
                reason=f"{action.call} left the screen unchanged ({changed:.2%} of pixels changed)",
            )
        return Verdict(ok=True, score=1.0, source=VerdictSource.PIXEL, reason=f"{changed:.1%} of pixels changed")


class ChainedValidator:
    """With a scene graph the rule validator decides first and a model validator confirms a pass;
    without one the model validator is used alone."""

    name = "rule+vlm"

    def __init__(self, rule: Validator | None = None, vlm: Validator | None = None):
        self.rule = rule or EffectValidator()
        self.vlm = vlm

    def check(self, action: BoundCall, before: Context, after: Context) -> Verdict:
        if self.vlm is not None and (before.scene is None or after.scene is None):
            return self.vlm.check(action, before, after)
        v = self.rule.check(action, before, after)
        if not v.ok or self.vlm is None:
            return v
        m = self.vlm.check(action, before, after)
        if not m.judged:
            return v.model_copy(update={"reason": f"{v.reason}; model gave no judgement: {m.reason}"})
        if m.ok:
            return v.model_copy(update={"reason": f"{v.reason}; model agrees: {m.reason}"})
        return m
