"""One episode as a run of its phases, driven from outside: `EpisodeRun`.

`run_episode` drives it to the end; an outside policy (the TRL factory's tools, the OpenEnv
server's sessions) drives it turn by turn: `to_decision()` runs the phases up to the next
decision, the caller hands the planner its action, and `to_decision()` again runs that step
through critic, env and validator. Whatever drives it, the episode is closed in one place
(`finish`), and a crash of any role ends it the same way: as `error`, with a one-line reason
naming the role and the traceback in the record.
"""

from __future__ import annotations

import traceback
from enum import Enum
from typing import Any

import gymnasium as gym

from agentloop.adapter import as_skill_env
from agentloop.context import Context
from agentloop.errors import Role, RoleCrashed
from agentloop.loop.phases import Phase, begin, end
from agentloop.loop.state import Deps, EpisodeResult, EpisodeSpec, EpisodeState, HumanInput, LoopLimits
from agentloop.recording.sink import EpisodeSink, NullSink
from agentloop.records import EpisodeRecord, Outcome, now
from agentloop.roles import Roles
from agentloop.skillset import SkillSet


class PhaseName(str, Enum):
    """The phases an episode passes through, by name: what `EpisodeRun.next_phase` says."""

    BEGIN = "begin"
    PERCEIVE = "perceive"
    DECIDE = "decide"
    REFUSED = "refused"
    ACT = "act"
    VALIDATE = "validate"


class EpisodeRun:
    """One episode of the closed loop on `env`, phase by phase.

    `next()` runs one phase, `to_decision()` runs up to the next decision, `run()` to the end;
    `finish()` ends the episode early (as truncated) and closes its record once. Nothing
    outside reads or changes the phases' state but through these."""

    def __init__(
        self, env: gym.Env[Any, Any], spec: EpisodeSpec, roles: Roles, limits: LoopLimits | None = None,
        sink: EpisodeSink | None = None, human: HumanInput | None = None,
    ) -> None:
        env = as_skill_env(env)
        skillset = env.get_wrapper_attr("skillset")
        assert isinstance(skillset, SkillSet)
        self._deps = Deps(env=env, skillset=skillset, spec=spec, roles=roles, limits=limits or LoopLimits(),
                          sink=sink or NullSink(), human=human)
        self._state = EpisodeState.start(spec, roles)
        self._phase: Phase | None = begin
        self._result: EpisodeResult | None = None

    @property
    def spec(self) -> EpisodeSpec:
        return self._deps.spec

    @property
    def next_phase(self) -> PhaseName | None:
        """The phase `next()` runs, or None once the episode is over."""
        return None if self._phase is None else PhaseName(self._phase.__name__)

    @property
    def done(self) -> bool:
        return self._phase is None

    @property
    def context(self) -> Context | None:
        """What the agent perceives now (None before the env was reset, or if it could not be)."""
        return self._state.ctx

    @property
    def result(self) -> EpisodeResult | None:
        """The finished episode's record, once it is over."""
        return self._result

    def next(self) -> PhaseName | None:
        """Run one phase; the one that follows, or None when the episode is over (its record
        then closed)."""
        if self._phase is None:
            return None
        try:
            self._phase = self._phase(self._state, self._deps)
        except RoleCrashed as e:
            self._phase = self._crash(e.role, e)
        except Exception as e:  # agentloop's own bug: it still ends only this episode
            self._phase = self._crash(Role.LOOP, RoleCrashed(Role.LOOP, e))
        if self._phase is None:
            self._close()
        return self.next_phase

    def to_decision(self) -> bool:
        """Run phases until the next step waits for its decision (True) or the episode is over."""
        while (phase := self.next()) is not None:
            if phase is PhaseName.DECIDE:
                return True
        return False

    def run(self) -> EpisodeResult:
        """Run to success, termination, truncation, the step limit or an error."""
        while self.next() is not None:
            pass
        return self.finish()

    def finish(self, outcome: Outcome = Outcome.TRUNCATED) -> EpisodeResult:
        """End the episode now as `outcome` if it is still going (a step opened for a decision
        that never came is dropped), and return its result; closes the record once."""
        if self._phase is not None:
            self._state.step = None
            self._phase = end(self._state, self._deps, outcome)
            self._close()
        assert self._result is not None
        return self._result

    def _crash(self, role: Role, error: RoleCrashed) -> Phase | None:
        s = self._state
        s.record.error_trace = "".join(traceback.format_exception(error.__cause__ or error))
        if role is Role.SINK:
            s.step = None  # the recorder failed: the open step cannot be kept
        try:
            return end(s, self._deps, Outcome.ERROR, str(error))
        except RoleCrashed:  # closing the open step failed too: the episode ends without it
            s.step = None
            return end(s, self._deps, Outcome.ERROR, str(error))

    def _close(self) -> None:
        if self._result is not None:
            return
        s = self._state
        rec: EpisodeRecord = s.record
        rec.outcome, rec.success, rec.error = s.outcome, s.outcome is Outcome.SUCCESS, s.error
        rec.final_progress = s.ctx.perception.progress if s.ctx is not None else None
        rec.ended_at = now()
        rec.duration_s = (rec.ended_at - rec.started_at).total_seconds()
        self._result = EpisodeResult(record=rec, env_ok=s.env_ok)
