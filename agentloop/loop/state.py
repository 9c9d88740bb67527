"""The state one episode's phases share, apart from what they depend on."""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym

from agentloop import registry
from agentloop.context import Context, draw_seed
from agentloop.recording.sink import EpisodeSink
from agentloop.records import EpisodeRecord, Outcome, RunConfig, StepRecord, Verdict, now
from agentloop.roles import Roles
from agentloop.skillset import BoundCall, SkillSet

HumanInput = Callable[[Context], "str | None"]


@dataclass(frozen=True)
class EpisodeSpec:
    """Which episode to run: the env, its task seed and the rollout index within a group."""

    env_id: str
    seed: int
    rollout: int = 0

    @property
    def task(self) -> str:
        return self.env_id.split("/", 1)[-1]

    @property
    def episode_id(self) -> str:
        safe = self.task.replace("/", "_").replace(":", "_")
        return f"{safe}__s{self.seed:05d}__r{self.rollout:02d}"

    @property
    def sampling_seed(self) -> int:
        """The seed the episode's sampled model calls derive theirs from: a rerun draws the same
        proposals, and the rollouts of one task seed (a GRPO group) draw different ones."""
        return draw_seed(self.seed, self.rollout)


@dataclass(frozen=True)
class LoopLimits:
    """The loop's bounds: steps per episode, critic rejections per step, replans per
    episode, and action candidates per step (best-of-N)."""

    max_steps: int = 30
    max_critic_rejections: int = 3
    max_replans: int = 20
    candidates: int = 1

    @classmethod
    def of(cls, config: RunConfig, env_id: str | None = None) -> LoopLimits:
        """The limits a run's configuration sets for the episodes of `env_id` (default: its env)."""
        return cls(max_steps=step_limit(config, env_id), max_critic_rejections=config.max_critic_rejections,
                   max_replans=config.max_replans, candidates=config.candidates)


DEFAULT_STEP_LIMIT = 30


def step_limit(config: RunConfig, env_id: str | None = None) -> int:
    """The one step limit of an episode: `--max-steps`, else the limit the env was registered
    with, else 30. The loop counts it (a refused step counts too), and the env is made with the
    same limit (`make_env`), so Gymnasium's `TimeLimit` never cuts an episode shorter."""
    if config.max_steps:
        return config.max_steps
    env_id = registry.resolve(env_id or config.env_id)
    if ":" in env_id:  # `module:Id`: the module registers the id when it is imported
        module, env_id = env_id.split(":", 1)
        importlib.import_module(module)
    return int(gym.spec(env_id).max_episode_steps or DEFAULT_STEP_LIMIT)


def make_env(config: RunConfig, env_id: str | None = None) -> gym.Env[Any, Any]:
    """The env a run's episodes run on, its Gymnasium step limit the loop's own."""
    return registry.make(env_id or config.env_id, max_episode_steps=step_limit(config, env_id), **config.env_kwargs)


@dataclass(frozen=True)
class Deps:
    """What the phases use and never change: the env, the roles, the limits, the sink."""

    env: gym.Env[Any, Any]
    skillset: SkillSet
    spec: EpisodeSpec
    roles: Roles
    limits: LoopLimits
    sink: EpisodeSink
    human: HumanInput | None


@dataclass
class StepState:
    """One step in the making."""

    record: StepRecord
    t0: float = field(default_factory=time.perf_counter)
    timings: dict[str, float] = field(default_factory=dict)
    chosen: BoundCall | None = None
    verdict: Verdict | None = None  # the critic's verdict on what was chosen (or refused)
    after: Context | None = None  # the state the action led to
    terminated: bool = False
    truncated: bool = False

    def timed(self, phase: str, started: float) -> None:
        self.timings[phase] = self.timings.get(phase, 0.0) + time.perf_counter() - started


@dataclass
class EpisodeState:
    """What the phases of one episode share and change."""

    record: EpisodeRecord
    ctx: Context | None = None
    step: StepState | None = None
    frame_ref: str | None = None
    index: int = 0
    outcome: Outcome = Outcome.TRUNCATED
    error: str | None = None
    env_ok: bool = True  # False: the env raised and must be rebuilt before the next episode

    @classmethod
    def start(cls, spec: EpisodeSpec, roles: Roles) -> EpisodeState:
        started = now()
        return cls(record=EpisodeRecord(
            episode_id=spec.episode_id, env_id=spec.env_id, task=spec.task, seed=spec.seed,
            rollout=spec.rollout, outcome=Outcome.ERROR, success=False, started_at=started,
            ended_at=started, planner=roles.planner.name, critic=roles.critic.name,
            validator=roles.validator.name,
        ))


@dataclass
class EpisodeResult:
    """A finished episode's record, and whether its env is still fit for the next one."""

    record: EpisodeRecord
    env_ok: bool = True
