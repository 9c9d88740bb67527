"""The environment contract, and a base class that keeps every env to it.

A built-in env is a `gymnasium.Env` whose action is a skill call (text or `SkillCall`, as its
`SkillSpace` says). Its `reset()` and `step()` return a `Perception` in `info["agentloop"]`.
A bad action never raises out of `step()`: it becomes a step whose perception carries the
`ActionFailure`, with the world left as it was. `SkillEnv` implements that once; an env
implements `_reset_world`, `_observe` and `_evaluate`, and binds an executor to each of
its skills in one `Executors` table.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, ClassVar, NamedTuple, Protocol, runtime_checkable

import gymnasium as gym
import numpy as np

from agentloop.calls import SkillCall
from agentloop.errors import ActionError
from agentloop.perception import INFO_KEY, ActionFailure, Perception
from agentloop.records import Claim, RewardComponents
from agentloop.scene import SceneGraph
from agentloop.skillset import BoundCall, Executors, SkillSet

# Metadata key through which an env names its scripted planner ("module:Class"), so the
# core can find it without importing the env's dependencies.
SCRIPTED_PLANNER = "agentloop.scripted_planner"

Action = str | Mapping[str, Any] | SkillCall


class Evaluation(NamedTuple):
    """The task's verdict on the current state."""

    reward: float
    success: bool
    progress: float | None
    terminated: bool


@runtime_checkable
class JudgesClaims(Protocol):
    """An env whose tasks may ask a question or be impossible: it judges the planner's `finish`
    claim (the answer given, or "infeasible"), which the loop runs and hands to it."""

    def judge_claim(self, claim: Claim) -> Evaluation | None:
        """The verdict on `claim` as of the current state; None where this task asks nothing
        of a claim (its success alone decides, as for an env without this method)."""


class SkillEnv(gym.Env[dict[str, Any], Action]):
    """Base class of agentloop's envs: binds actions to skills, runs each through its
    executor, turns bad ones into steps with an `ActionFailure`, and reports a `Perception`
    the same way for every embodiment."""

    # `render_fps` is for video recorders (Gymnasium's RecordVideo): a few skills a second.
    metadata: dict[str, Any] = {"render_modes": ["rgb_array"], "render_fps": 4, SCRIPTED_PLANNER: None}
    skillset: ClassVar[SkillSet]
    executors: ClassVar[Executors[Any]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.metadata = {**SkillEnv.metadata, **cls.metadata}  # an env's own keys over the defaults
        skillset, executors = getattr(cls, "skillset", None), getattr(cls, "executors", None)
        if skillset is None and executors is None:
            return  # an abstract intermediate class
        if executors is None or executors.skillset is not skillset:
            raise TypeError(
                f"{cls.__name__}: its skillset needs an Executors table made for it "
                "(executors = Executors(skillset, {Skill: executor, ...}))"
            )

    def __init__(self, render_mode: str | None = "rgb_array"):
        self.render_mode = render_mode
        self.goal = ""
        self.timings: dict[str, float] = {}  # seconds per phase; an env adds its own phases
        self._last_obs: dict[str, Any] | None = None
        self._last_scene: SceneGraph | None = None
        self._steps = 0

    # ---- to implement ------------------------------------------------------------------------
    def _reset_world(self, seed: int | None, options: dict[str, Any]) -> str:
        """Build the episode's world; return the goal text."""
        raise NotImplementedError

    def _observe(self) -> tuple[dict[str, Any], SceneGraph | None]:
        """Return the observation and the scene graph."""
        raise NotImplementedError

    def _evaluate(self) -> Evaluation | tuple[float, bool, float | None, bool]:
        """Return (env reward, success, progress, terminated)."""
        raise NotImplementedError

    def _report(self) -> dict[str, Any]:
        """The env's own JSON facts about this state, recorded with the step."""
        return {}

    def _annex(self) -> dict[str, Any]:
        """Further `info` keys that are not for the record (an annotated image)."""
        return {}

    @property
    def task_name(self) -> str | None:
        """The task's name within its family, where the env has tasks."""
        return None

    def judge_claim(self, claim: Claim) -> Evaluation | None:
        """See `JudgesClaims`: by default no task asks anything of a claim."""
        return None

    def _execute(self, call: BoundCall) -> None:
        """Run one grounded call through its executor. Executors raise `ActionError`
        *before* touching the world when the call cannot be grounded."""
        self.executors.run(self, call)

    # ---- the contract ------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        self.timings = {}
        t0 = time.perf_counter()
        self._steps = 0
        self.goal = self._reset_world(seed, dict(options or {}))
        t1 = time.perf_counter()
        obs, scene = self._observe()
        self.timings.update(reset=t1 - t0, observe=time.perf_counter() - t1)
        ev = Evaluation(*self._evaluate())
        self._last_obs, self._last_scene = obs, scene
        return obs, self._info(scene, ev, None)

    def step(self, action: Action):
        self._steps += 1
        self.timings = {}
        t0 = time.perf_counter()
        failure: ActionFailure | None = None
        acted = True
        try:
            self._execute(self.skillset.bind(action))
        except ActionError as e:
            failure, acted = ActionFailure.of(e), e.acted
        t1 = time.perf_counter()
        if failure is not None and not acted and self._last_obs is not None:
            # The world did not change: reuse the last perception instead of paying for it.
            # Copies: callers keep what they were given and may modify it.
            obs = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in self._last_obs.items()}
            scene = self._last_scene
        else:
            obs, scene = self._observe()
        self.timings.update(act=t1 - t0, observe=time.perf_counter() - t1)
        ev = Evaluation(*self._evaluate())
        self._last_obs, self._last_scene = obs, scene
        return obs, float(ev.reward), bool(ev.terminated), False, self._info(scene, ev, failure)

    def _info(self, scene: SceneGraph | None, ev: Evaluation, failure: ActionFailure | None) -> dict[str, Any]:
        perception = Perception(
            scene_graph=scene, skills=self.skillset.specs(), goal=self.goal, task=self.task_name,
            success=bool(ev.success), progress=ev.progress, action_error=failure,
            rewards=RewardComponents(env=float(ev.reward), progress=ev.progress, valid_action=failure is None),
            timings=dict(self.timings), extra=self._report(),
        )
        return {**self._annex(), INFO_KEY: perception}

    def render(self) -> np.ndarray | None:
        if self._last_obs is None:
            return None
        return self._last_obs.get("screenshot")
