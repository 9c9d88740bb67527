"""One episode of the closed loop: perceive → plan → critique → act → validate → replan.

A critic rejection goes back to the planner with its suggestion (bounded per step); a
validator failure triggers replanning (bounded per episode); a malformed or ungroundable
action is a recorded step with a readable error; an env that raises ends the episode as
`error`. The phases live in `phases`, their shared state in `state`, the counting in
`bookkeeping`, and `run`'s `EpisodeRun` drives them (to the end, or turn by turn).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from agentloop.loop.run import EpisodeRun, PhaseName
from agentloop.loop.state import EpisodeResult, EpisodeSpec, HumanInput, LoopLimits, make_env, step_limit
from agentloop.recording.sink import EpisodeSink
from agentloop.roles import Roles


def run_episode(
    env: gym.Env[Any, Any], spec: EpisodeSpec, roles: Roles, limits: LoopLimits | None = None,
    sink: EpisodeSink | None = None, human: HumanInput | None = None,
) -> EpisodeResult:
    """Run one episode to success, termination, truncation, the step limit or an error."""
    return EpisodeRun(env, spec, roles, limits, sink, human).run()


__all__ = [
    "EpisodeResult", "EpisodeRun", "EpisodeSpec", "HumanInput", "LoopLimits", "PhaseName", "make_env", "run_episode",
    "step_limit",
]
