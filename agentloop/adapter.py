"""Plain Gymnasium envs in the loop: a wrapper that gives them one skill and a `Perception`.

An env that is not a `SkillEnv` has no vocabulary and no scene graph. `PlainEnv` gives it a
single skill, `act(action=...)`, whose argument is the env's own action (an int for a
`Discrete` space, a list for a `Box`, text for a `Text` space), and reports each step as a
`Perception` without a scene graph, so the model or pixel validator judges it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gymnasium as gym
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agentloop.calls import SkillCall
from agentloop.effects import Effect, changed
from agentloop.env import SkillEnv
from agentloop.errors import ActionError
from agentloop.perception import INFO_KEY, ActionFailure, Perception
from agentloop.records import RewardComponents
from agentloop.scene import SceneGraph
from agentloop.skillset import BoundCall, Skill, SkillSet


class ActArgs(BaseModel):
    """The argument of `act`: the wrapped env's own action."""

    model_config = ConfigDict(extra="forbid")
    action: Any = Field(description="an action of the env's own action space")


class Act(Skill):
    """Take one action of the environment's own action space."""

    name = "act"
    Args = ActArgs

    def expected_effect(self, scene: SceneGraph, args: Any) -> list[Effect]:
        return [changed()]


class PassThroughSkillSet(SkillSet):
    """`act(action=...)`, and any other action taken as the env's own: a planner for a
    plain env may return an int, an array or text the env understands."""

    def __init__(self) -> None:
        super().__init__([Act])

    def bind(self, action: Any) -> BoundCall:
        if isinstance(action, (str, SkillCall, Mapping)):
            try:
                call = SkillCall.parse(action, self.specs())
            except ActionError:
                call = None
            if call is not None and call.name == "act" and set(call.args) == {"action"}:
                return super().bind(call)
            if not isinstance(action, str):
                return super().bind(action)  # a call to another skill: its clear error
        value = action.tolist() if isinstance(action, np.ndarray) else action
        return BoundCall(call=SkillCall(name="act", args={"action": value}), skill=self["act"],
                         args=ActArgs(action=action))


class PlainEnv(gym.Wrapper[Any, Any, Any, Any]):
    """Adapts a plain Gymnasium env to the loop's contract (see the module's docstring)."""

    def __init__(self, env: gym.Env[Any, Any]):
        super().__init__(env)
        self.skillset = PassThroughSkillSet()
        self.goal = ""
        self._last_obs: Any = None

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        obs, info = self.env.reset(seed=seed, options=options)
        self._last_obs = obs
        self.goal = str(info.get("goal", "") or "")
        return obs, {**info, INFO_KEY: self._perception(info, 0.0, None)}

    def step(self, action: Any):
        try:
            bound = self.skillset.bind(action)
        except ActionError as e:  # a call to a skill other than `act`: nothing ran
            return self._last_obs, 0.0, False, False, {INFO_KEY: self._perception({}, 0.0, ActionFailure.of(e))}
        obs, reward, terminated, truncated, info = self.env.step(bound.args.action)  # type: ignore[attr-defined]
        self._last_obs = obs
        return obs, reward, terminated, truncated, {**info, INFO_KEY: self._perception(info, float(reward), None)}

    def _perception(self, info: Mapping[str, Any], reward: float, failure: ActionFailure | None) -> Perception:
        progress = info.get("progress")
        return Perception(
            skills=self.skillset.specs(), goal=self.goal, success=bool(info.get("success", False)),
            progress=float(progress) if isinstance(progress, (int, float)) else None,
            action_error=failure, rewards=RewardComponents(env=reward, valid_action=failure is None),
        )


def as_skill_env(env: gym.Env[Any, Any]) -> gym.Env[Any, Any]:
    """The env as the loop drives it: a `SkillEnv` as it is, anything else in a `PlainEnv`."""
    if isinstance(env, PlainEnv) or isinstance(env.unwrapped, SkillEnv):
        return env
    return PlainEnv(env)
