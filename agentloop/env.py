"""The environment contract, and a base class that keeps every env to it.

A built-in env is a `gymnasium.Env` whose action is a skill call (text or `SkillCall`). Its
`reset()` and `step()` return in `info` the keys named in `InfoKeys`. A bad action never
raises out of `step()`: it becomes a step with `info["action_error"]` set and the world left
as it was. `SkillEnv` implements that once; envs implement `_reset_world`, `_execute`,
`_observe` and `_evaluate`.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar, Mapping

import gymnasium as gym
import numpy as np

from agentloop.errors import ActionError
from agentloop.records import RewardComponents
from agentloop.scene import SceneGraph
from agentloop.skills import BoundCall, SkillCall, SkillSet


class InfoKeys:
    SCENE_GRAPH = "scene_graph"  # SceneGraph of what the agent perceives now
    SKILLS = "skills"  # list[SkillSpec] available now
    GOAL = "goal"  # instruction in natural language
    SUCCESS = "success"  # bool
    PROGRESS = "progress"  # float in [0, 1] or None where the task cannot measure it
    ACTION_ERROR = "action_error"  # str | None
    ACTION_ERROR_KIND = "action_error_kind"  # short tag, e.g. no_element
    REWARD_COMPONENTS = "reward_components"  # dict of separate reward terms
    TIMINGS = "timings"  # seconds per phase of this reset/step
    TASK = "task"  # task name


class Timings(Mapping[str, float]):
    """Seconds per phase of one reset/step, as found in `info["timings"]`.

    Wall-clock measurements are not part of an env's deterministic output, so two `Timings`
    are equal when they measured the same phases; this keeps Gymnasium's determinism check
    (same seed and actions give equal `info`) meaningful for everything else in `info`.
    """

    __slots__ = ("_d",)

    def __init__(self, values: Mapping[str, float] | None = None, **more: float):
        self._d = {**(values or {}), **more}

    def __getitem__(self, key: str) -> float:
        return self._d[key]

    def __iter__(self):
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Timings) and self._d.keys() == other._d.keys()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "Timings(" + ", ".join(f"{k}={v * 1000:.2f}ms" for k, v in self._d.items()) + ")"


# Metadata key through which an env names its scripted planner ("module:Class"), so the
# core can find it without importing the env's dependencies.
SCRIPTED_PLANNER = "agentloop.scripted_planner"


class SkillEnv(gym.Env[dict, str]):
    """Base class: binds actions to skills, turns bad ones into `action_error` steps, and
    assembles `info` the same way for every embodiment."""

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array"], SCRIPTED_PLANNER: None}
    skillset: SkillSet

    def __init__(self, render_mode: str | None = "rgb_array"):
        self.render_mode = render_mode
        self._last_obs: dict[str, Any] | None = None
        self._last_scene: SceneGraph | None = None
        self._steps = 0

    # ---- to implement ------------------------------------------------------------------------
    def _reset_world(self, seed: int | None, options: dict[str, Any]) -> str:
        """Build the episode's world; return the goal text."""
        raise NotImplementedError

    def _execute(self, call: BoundCall) -> None:
        """Run one grounded skill call. Raise `ActionError` *before* touching the world when
        the call cannot be grounded (no such element, not visible, ...)."""
        raise NotImplementedError

    def _observe(self) -> tuple[dict[str, Any], SceneGraph | None, dict[str, Any]]:
        """Return (observation, scene graph, extra info)."""
        raise NotImplementedError

    def _evaluate(self) -> tuple[float, bool, float | None, bool]:
        """Return (env reward, success, progress, terminated)."""
        raise NotImplementedError

    # ---- the contract ------------------------------------------------------------------------
    goal: str = ""

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        t0 = time.perf_counter()
        self._steps = 0
        self.goal = self._reset_world(seed, dict(options or {}))
        t1 = time.perf_counter()
        obs, scene, extra = self._observe()
        t2 = time.perf_counter()
        _, success, progress, _ = self._evaluate()
        self._last_obs, self._last_scene = obs, scene
        info = self._info(scene, success, progress, None, None, extra)
        info[InfoKeys.TIMINGS] = Timings(extra.get(InfoKeys.TIMINGS, {}), reset=t1 - t0, observe=t2 - t1)
        return obs, info

    def step(self, action: str | Mapping[str, Any] | SkillCall):
        self._steps += 1
        t0 = time.perf_counter()
        error: ActionError | None = None
        try:
            bound = self.skillset.bind(action)
            self._execute(bound)
        except ActionError as e:
            error = e
        t1 = time.perf_counter()
        if error is not None and self._last_obs is not None:
            # The world did not change: reuse the last perception instead of paying for it.
            # Copies: callers keep what they were given and may modify it.
            obs = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in self._last_obs.items()}
            scene, extra = self._last_scene, {}
        else:
            obs, scene, extra = self._observe()
        t2 = time.perf_counter()
        reward, success, progress, terminated = self._evaluate()
        self._last_obs, self._last_scene = obs, scene
        info = self._info(
            scene, success, progress, error.message if error else None,
            error.kind if error else None, extra,
        )
        info[InfoKeys.REWARD_COMPONENTS] = RewardComponents(
            env=reward, progress=progress, valid_action=error is None
        ).model_dump()
        info[InfoKeys.TIMINGS] = Timings(extra.get(InfoKeys.TIMINGS, {}), act=t1 - t0, observe=t2 - t1)
        return obs, float(reward), bool(terminated), False, info

    def _info(self, scene, success, progress, error, error_kind, extra) -> dict[str, Any]:
        info = {k: v for k, v in extra.items() if k != InfoKeys.TIMINGS}
        info.update({
            InfoKeys.SCENE_GRAPH: scene,
            InfoKeys.SKILLS: self.skillset.specs(),
            InfoKeys.GOAL: self.goal,
            InfoKeys.SUCCESS: bool(success),
            InfoKeys.PROGRESS: progress,
            InfoKeys.ACTION_ERROR: error,
            InfoKeys.ACTION_ERROR_KIND: error_kind,
        })
        return info

    def render(self) -> np.ndarray | None:
        if self._last_obs is None:
            return None
        return self._last_obs.get("screenshot")
