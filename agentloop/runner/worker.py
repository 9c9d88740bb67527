"""A worker owns one env instance (per thread) and runs episodes on it, recording each.

The same `Worker` runs in the main process, in local worker processes and in Ray actors.
An env that raised is closed and rebuilt before the next episode.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import gymnasium as gym

from agentloop import registry
from agentloop.errors import AgentLoopError
from agentloop.loop import EpisodeSpec, HumanInput, LoopLimits, run_episode
from agentloop.recording.disk import DiskWriter, shared_writer
from agentloop.recording.episode import EpisodeWriter
from agentloop.records import EpisodeRecord, RunConfig, now
from agentloop.roles.factory import build_roles


def load_model(config: RunConfig) -> Any:
    if not config.model:
        return None
    from agentloop.models import from_spec

    return from_spec(config.model, base_url=config.base_url)


class Worker:
    def __init__(self, config: RunConfig, run_dir: Path | str, human: HumanInput | None = None):
        self.config = config
        self.run_dir = Path(run_dir)
        self.human = human
        self._envs: dict[str, gym.Env] = {}
        self._disk: DiskWriter | None = None
        self._model: Any = None
        self._model_loaded = False

    def env(self, env_id: str) -> gym.Env:
        env = self._envs.get(env_id)
        if env is None:
            env = registry.make(env_id, **self.config.env_kwargs)
            self._envs[env_id] = env
        return env

    def drop_env(self, env_id: str) -> None:
        env = self._envs.pop(env_id, None)
        if env is not None:
            try:
                env.close()
            except Exception:
                pass

    def model(self) -> Any:
        if not self._model_loaded:
            self._model = load_model(self.config)
            self._model_loaded = True
        return self._model

    def run(self, spec: EpisodeSpec) -> EpisodeRecord:
        if self._disk is None:
            self._disk = shared_writer()
        writer = EpisodeWriter(self.run_dir, spec.episode_id, self._disk, self.config.record_frames)
        try:
            try:
                env = self.env(spec.env_id)
                roles = build_roles(self.config, env, self.model())
            except AgentLoopError:
                writer.abort()
                raise
            except Exception as e:
                # The env could not even be built: record the episode as an error.
                self.drop_env(spec.env_id)
                rec = _error_record(spec, f"env could not be created: {e!r}")
                writer.finish(rec, wait=True)
                return rec
            limits = LoopLimits(
                max_steps=episode_step_limit(self.config, env),
                max_critic_rejections=self.config.max_critic_rejections,
                max_replans=self.config.max_replans, candidates=self.config.candidates,
            )
            result = run_episode(env, spec, roles, limits, writer, self.human)
            if self.config.model:
                result.record.models = [self.config.model]
            if not result.env_ok:
                self.drop_env(spec.env_id)
            # Handed to the writer process: the next episode starts at once.
            writer.finish(result.record)
            return result.record
        except BaseException:
            writer.abort()
            raise

    def flush(self) -> None:
        """Wait until every finished episode is on disk."""
        if self._disk is not None:
            self._disk.flush()

    def close(self) -> None:
        for env_id in list(self._envs):
            self.drop_env(env_id)
        if self._disk is not None:
            self._disk.flush()  # the shared writer itself stays up for the process
            self._disk = None


def episode_step_limit(config: RunConfig, env: gym.Env) -> int:
    """`--max-steps`, else the limit the env was registered with, else 30."""
    if config.max_steps:
        return config.max_steps
    spec = getattr(env, "spec", None)
    return int(getattr(spec, "max_episode_steps", None) or 30)


def _error_record(spec: EpisodeSpec, error: str) -> EpisodeRecord:
    t = now()
    return EpisodeRecord(
        episode_id=spec.episode_id, env_id=spec.env_id, task=spec.task, seed=spec.seed,
        rollout=spec.rollout, outcome="error", success=False, error=error, started_at=t, ended_at=t,
    )


_local = threading.local()


def thread_worker(config: RunConfig, run_dir: Path | str) -> Worker:
    """One worker per thread: threads of a process never share an env."""
    w = getattr(_local, "worker", None)
    if w is None:
        w = Worker(config, run_dir)
        _local.worker = w
    return w

