"""What every role sees at a step: the goal, the skills, the perception and the history."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agentloop.calls import SkillCall, SkillSpec
from agentloop.perception import Perception, perception_of
from agentloop.records import Feedback, ModelCallRecord, Plan, Verdict
from agentloop.scene import SceneGraph
from agentloop.skillset import SkillSet


def draw_seed(*parts: int | str) -> int:
    """A 31-bit seed that depends on every one of `parts` (an episode's task seed and rollout, a
    step, a role, a candidate), stable across processes and Python versions, unlike `hash()`."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") & 0x7FFFFFFF


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
    # What the scene showed before the step, by node id (`seen_in`): later prompts recall from
    # it what is no longer in view, and tell an id that now names another element.
    seen: dict[str, Seen] = field(default_factory=dict)


@dataclass(frozen=True)
class Seen:
    """A node as a step saw it: what it showed (`kind "name"`, a value) and where it was; its
    name apart, and whether it is a field (whose name is its label, never what it holds)."""

    shows: str
    where: str = ""
    kind: str = ""
    name: str = ""
    field: bool = False

    def __str__(self) -> str:
        return f"{self.shows} ({self.where})" if self.where else self.shows


# Relations that say where a thing is (in a drawer, on a tray, inside a card), not which way it
# lies from its neighbours: what a memory of a node keeps.
_PLACING = frozenset({"in", "on", "inside", "under", "child_of", "held_by"})
_SHOWN = ("value", "url")  # attributes that are what a node shows, beside its name
# Kinds that are text fields or choosers by role (the web's and Android's), beside any `editable` node.
FIELD_KINDS = frozenset({"textbox", "searchbox", "combobox", "spinbutton", "edittext", "textarea"})


def seen_in(scene: SceneGraph | None) -> dict[str, Seen]:
    """What each node of `scene` that shows something (a name or a value) shows, by id."""
    if scene is None:
        return {}
    where: dict[str, list[str]] = {}
    for r in scene.relations:
        if r.rel in _PLACING:
            where.setdefault(r.src, []).append(f"{r.rel.replace('_', ' ')} {r.dst}")
    out = {}
    for n in scene.nodes:
        shown = [f"{k}={n.attrs[k]!r}" for k in _SHOWN if n.attrs.get(k) not in (None, "")]
        if n.name or shown:
            head = f'{n.kind} "{n.name}"' if n.name else n.kind
            field = n.kind in FIELD_KINDS or n.attrs.get("editable") is True
            out[n.id] = Seen(" ".join([head, *shown]), ", ".join(where.get(n.id, [])), n.kind, n.name, field)
    return out


@dataclass
class Context:
    """The per-step view handed to planner, critic and validator. In-process only."""

    env_id: str
    perception: Perception
    observation: Any
    skillset: SkillSet | None = None
    step: int = 0
    max_steps: int | None = None  # the episode's step limit (`LoopLimits.max_steps`), where known
    candidate: int = 0  # which of a step's best-of-N draws is being asked for
    history: list[HistoryItem] = field(default_factory=list)
    feedback: list[Feedback] = field(default_factory=list)
    plan: Plan | None = None
    # Roles append their model calls here; the loop moves them into the step record.
    model_calls: list[ModelCallRecord] = field(default_factory=list)
    # The episode's `EpisodeSpec.sampling_seed`: a role that samples seeds each draw from it
    # and the step (`draw_seed`), so a rerun repeats its draws. None outside the loop.
    sampling_seed: int | None = None

    @classmethod
    def of(cls, env_id: str, observation: Any, info: Mapping[str, Any],
           skillset: SkillSet | None = None, **more: Any) -> Context:
        """The context of an env's `(observation, info)`."""
        return cls(env_id=env_id, perception=perception_of(info), observation=observation,
                   skillset=skillset, **more)

    @property
    def goal(self) -> str:
        return self.perception.goal

    @property
    def skills(self) -> list[SkillSpec]:
        return self.perception.skills

    @property
    def scene(self) -> SceneGraph | None:
        return self.perception.scene_graph

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


def call_targets(call: SkillCall, scene: SceneGraph | None) -> tuple[str, ...]:
    """What the call's arguments name in the scene, as `kind:name` (see `HistoryItem`)."""
    if scene is None:
        return ()
    out = []
    for value in call.args.values():
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            node = scene.node(str(value))
            if node is not None:
                out.append(f"{node.kind}:{node.name}")
    return tuple(out)
