"""What every role sees at a step: the goal, the skills, the perception and the history."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agentloop.records import Feedback, ModelCallRecord, Plan, Verdict
from agentloop.scene import SceneGraph
from agentloop.skills import SkillCall, SkillSet, SkillSpec


@dataclass
class HistoryItem:
    """One executed (or refused) step, as later roles need to see it."""

    index: int
    action: str
    action_error: str | None = None
    validator: Verdict | None = None
    # What the call's element arguments named when it ran ("button:Place order"): element
    # ids can be reused on a new page, so a repeat is the same call on the same thing.
    targets: tuple[str, ...] = ()


@dataclass
class Context:
    """Per-step view handed to planner, critic and validator. In-process only."""

    env_id: str
    goal: str
    skills: list[SkillSpec]
    skillset: SkillSet | None
    scene: SceneGraph | None
    observation: Any
    info: dict[str, Any]
    step: int = 0
    history: list[HistoryItem] = field(default_factory=list)
    feedback: list[Feedback] = field(default_factory=list)
    plan: Plan | None = None
    # Roles append their model calls here; the loop moves them into the step record.
    model_calls: list[ModelCallRecord] = field(default_factory=list)

    @property
    def frame(self) -> np.ndarray | None:
        obs = self.observation
        if isinstance(obs, dict):
            for key in ("screenshot", "image", "pixels", "frame"):
                if key in obs:
                    return obs[key]
            return None
        return obs if isinstance(obs, np.ndarray) and obs.ndim == 3 else None

    @property
    def text(self) -> str:
        obs = self.observation
        if isinstance(obs, dict) and isinstance(obs.get("text"), str):
            return obs["text"]
        return self.scene.to_text() if self.scene is not None else ""

    def last_call(self) -> SkillCall | None:
        for h in reversed(self.history):
            if h.action and h.action_error is None:
                try:
                    return SkillCall.parse(h.action)
                except Exception:
                    return None
        return None


def call_targets(call: SkillCall, scene: SceneGraph | None) -> tuple[str, ...]:
    if scene is None:
        return ()
    out = []
    for value in call.args.values():
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            node = scene.node(str(value))
            if node is not None:
                out.append(f"{node.kind}:{node.name}")
    return tuple(out)
