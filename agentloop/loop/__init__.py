"""One episode of the closed loop: perceive → plan → critique → act → validate → replan.

A critic rejection goes back to the planner with its suggestion (bounded per step); a
validator failure triggers replanning (bounded per episode); a malformed or ungroundable
action is a recorded step with a readable error; an env that raises ends the episode as
`error`. The phases live in `phases`, their shared state in `state`, the counting in
`bookkeeping`.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from agentloop.adapter import as_skill_env
from agentloop.loop.phases import Phase, begin
from agentloop.loop.state import Deps, EpisodeResult, EpisodeSpec, EpisodeState, HumanInput, LoopLimits
from agentloop.recording.sink import EpisodeSink, NullSink
from agentloop.records import Outcome, now
from agentloop.roles import Roles
from agentloop.skillset import SkillSet


def run_episode(
    env: gym.Env[Any, Any], spec: EpisodeSpec, roles: Roles, limits: LoopLimits | None = None,
    sink: EpisodeSink | None = None, human: HumanInput | None = None,
) -> EpisodeResult:
    """Run one episode to success, termination, truncation, the step limit or an error."""
    env = as_skill_env(env)
    skillset = env.get_wrapper_attr("skillset")
    assert isinstance(skillset, SkillSet)
    deps = Deps(env=env, skillset=skillset, spec=spec, roles=roles, limits=limits or LoopLimits(),
                sink=sink or NullSink(), human=human)
    state = EpisodeState.start(spec, roles)
    phase: Phase | None = begin
    while phase is not None:
        phase = phase(state, deps)
    rec = state.record
    rec.outcome, rec.success, rec.error = state.outcome, state.outcome is Outcome.SUCCESS, state.error
    rec.final_progress = state.ctx.perception.progress if state.ctx is not None else None
    rec.ended_at = now()
    rec.duration_s = (rec.ended_at - rec.started_at).total_seconds()
    return EpisodeResult(record=rec, env_ok=state.env_ok)


__all__ = ["EpisodeResult", "EpisodeSpec", "HumanInput", "LoopLimits", "run_episode"]
