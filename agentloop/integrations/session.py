"""One env driven call by call from outside the loop, with the loop's judges around each call.

A trainer (or a server's client) is the policy: it hands over one action at a time. The
session runs that action through the loop's own phases — the critic judges it first (a
rejection is the step's answer, and nothing runs), the env executes it, the validator checks
its effect — so each call becomes one step recorded exactly as `agentloop run` records it,
with the same episode counters, feedback and verdicts. One critic verdict per call: the
policy, not the loop, decides what to try after a rejection.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import gymnasium as gym

from agentloop import registry
from agentloop.adapter import as_skill_env
from agentloop.calls import SkillCall
from agentloop.context import Context
from agentloop.errors import AgentLoopError, ConfigError, EnvCrashed
from agentloop.integrations.recorder import RolloutRecorder
from agentloop.integrations.tools import skillset_of
from agentloop.loop import EpisodeRun, EpisodeSpec, LoopLimits, make_env
from agentloop.models import ModelPool
from agentloop.perception import Perception
from agentloop.recording import EpisodeSink, EpisodeWriter, NullSink
from agentloop.records import EpisodeRecord, Feedback, RunConfig, StepRecord
from agentloop.roles import Roles
from agentloop.roles.factory import build_critic, build_validator
from agentloop.roles.planner import Proposal
from agentloop.skillset import SkillSet

Action = str | Mapping[str, Any] | SkillCall


class ExternalPolicy:
    """The planner's seat when the actions come from outside (a trainer's tool calls, a
    server's clients): it proposes exactly the action it was handed for the step. Feedback
    needs no keeping here: it is on the step's record, which the caller gets back."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._action: Action | None = None

    def hand(self, action: Action) -> None:
        """The action the next step proposes."""
        self._action = action

    def reset(self, ctx: Context) -> None:
        self._action = None

    def propose(self, ctx: Context) -> Proposal:
        if self._action is None:
            raise AgentLoopError("the external policy was asked for an action it was not handed")
        action, self._action = self._action, None
        return Proposal(action=action)

    def feedback(self, feedback: Feedback, ctx: Context) -> None:
        return None


class _Tap:
    """The episode's sink, keeping the step records for the caller as they pass."""

    def __init__(self, sink: EpisodeSink) -> None:
        self.sink = sink
        self.steps: list[StepRecord] = []

    def frame(self, index: int, frame: Any) -> str | None:
        return self.sink.frame(index, frame)

    def step(self, record: StepRecord) -> None:
        self.steps.append(record)
        self.sink.step(record)


@dataclass(frozen=True)
class Turn:
    """What a reset or a call led to: the perception now, the step just made (None after a
    reset), the env's reward for it, and the episode's record once the episode is over."""

    context: Context
    step: StepRecord | None = None
    reward: float = 0.0
    episode: EpisodeRecord | None = None

    @property
    def perception(self) -> Perception:
        return self.context.perception

    @property
    def done(self) -> bool:
        return self.episode is not None


class Session:
    """Runs episodes of one env for an outside policy: `reset(seed)`, then `act(action)` once
    per call, `finish()` to end an episode early (it lands as truncated). Records into the
    `RolloutRecorder` it is lent, if any. Used from one thread: envs that hold a browser or
    a GL context stay with the thread that made them. Whoever makes it closes it (`close`)."""

    def __init__(self, config: RunConfig, recorder: RolloutRecorder | None = None, policy: str = "external") -> None:
        self.config = config.model_copy(update={"max_critic_rejections": 0, "candidates": 1})
        self.recorder = recorder
        self.policy = ExternalPolicy(policy)
        self._models = ModelPool()
        model = self._models.get(config.model, config.base_url) if config.model else None
        # One pool for the session's models: a learned (prm:) critic's weights load once, not per episode.
        self._roles = Roles(self.policy, build_critic(self.config, model, self._models),
                            build_validator(self.config, model))
        self._envs: dict[str, gym.Env[Any, Any]] = {}
        self._run: EpisodeRun | None = None
        self._writer: EpisodeWriter | None = None
        self._tap = _Tap(NullSink())
        self.record: EpisodeRecord | None = None  # the last finished episode's

    @property
    def steps(self) -> list[StepRecord]:
        """The current (or last) episode's steps so far."""
        return self._tap.steps

    @property
    def running(self) -> bool:
        return self._run is not None and not self._run.done

    @property
    def spec(self) -> EpisodeSpec | None:
        """The current (or last) episode: its env, seed and rollout."""
        return self._run.spec if self._run is not None else None

    def env(self, env_id: str | None = None) -> gym.Env[Any, Any]:
        """The session's env for `env_id` (default: the configured one), made on first use."""
        env_id = registry.resolve(env_id) if env_id else self.config.env_id
        env = self._envs.get(env_id)
        if env is None:
            env = self._envs[env_id] = as_skill_env(make_env(self.config, env_id))
        return env

    def skillset(self, env_id: str | None = None) -> SkillSet:
        """The vocabulary the session's env for `env_id` executes."""
        found = self.env(env_id).get_wrapper_attr("skillset")
        if not isinstance(found, SkillSet):
            raise ConfigError(f"{env_id or self.config.env_id} has no skill set")
        return found

    def reset(self, seed: int | None = None, env_id: str | None = None) -> Turn:
        """Start an episode at `seed` (a random one if None) on `env_id` (default: the
        configured env); an episode still running lands first, as truncated."""
        self.finish()
        env_id = registry.resolve(env_id) if env_id else self.config.env_id
        kwargs = self.config.env_kwargs
        if env_id != self.config.env_id and (
                skillset_of(env_id, kwargs).names() != skillset_of(self.config.env_id, kwargs).names()):
            raise ConfigError(f"{env_id} has other skills than {self.config.env_id}: a session keeps one vocabulary")
        seed = random.randrange(2**31) if seed is None else int(seed)
        spec = self.recorder.spec(env_id, seed) if self.recorder else EpisodeSpec(env_id, seed)
        error = ""
        for _ in range(2):  # an env that failed to reset is rebuilt once
            run = self._open(spec)
            if not run.done and run.context is not None:
                return Turn(run.context)
            error = run.finish().record.error or "the episode ended at its reset"
            self._discard()
            self._drop_env(env_id)
        raise EnvCrashed(f"{env_id} could not be reset to seed {seed}: {error}")

    def act(self, action: Action) -> Turn:
        """Run one call through critic, env and validator; the step it made and what it led to.
        A call after the episode ended makes no step (the turn carries the last record)."""
        run = self._run
        if run is None or run.context is None:
            raise AgentLoopError("reset the session before acting")
        if run.done:
            return Turn(run.context, episode=self.record)
        before = len(self._tap.steps)
        self.policy.hand(action)
        self._advance()
        step = self._tap.steps[-1] if len(self._tap.steps) > before else None
        reward = step.rewards.env if step is not None else 0.0
        return Turn(run.context, step, reward, None if not run.done else self.record)

    def finish(self) -> EpisodeRecord | None:
        """End the running episode (as truncated: the policy stopped) and land it; the record
        of the episode that ended last, or None before the first."""
        if self.running:
            self._close_episode()
        return self.record

    def close(self) -> None:
        """Land a running episode and close the envs and model clients."""
        try:
            self.finish()
        finally:
            for env_id in list(self._envs):
                self._drop_env(env_id)
            self._models.close()

    # ---- the episode's run ----------------------------------------------------------------------
    def _open(self, spec: EpisodeSpec) -> EpisodeRun:
        env = self.env(spec.env_id)
        self._writer = self.recorder.writer(spec) if self.recorder else None
        self._tap = _Tap(self._writer or NullSink())
        self._run = EpisodeRun(env, spec, self._roles, LoopLimits.of(self.config, spec.env_id), self._tap)
        self.record = None
        self._advance()
        return self._run

    def _advance(self) -> None:
        """Run the episode until its next step waits for the policy's action, or it is over."""
        assert self._run is not None
        if not self._run.to_decision():
            self._close_episode()

    def _close_episode(self) -> None:
        """The episode is over (or ends now, as truncated: the policy stopped): land it."""
        assert self._run is not None
        result = self._run.finish()
        self.record = result.record
        if not result.env_ok:
            self._drop_env(result.record.env_id)
        if self._run.context is None:  # the reset itself failed: nothing to land
            return
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.finish(result.record)

    def _discard(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.abort()
        self._run = None

    def _drop_env(self, env_id: str) -> None:
        env = self._envs.pop(env_id, None)
        if env is not None:
            with contextlib.suppress(Exception):  # an env that failed may fail to close too; it is dropped anyway
                env.close()
