"""A worker owns its envs and runs episodes on them, recording each.

The same `Worker` runs in the main process, on the threads of local worker processes and in
Ray actors. It is used from one thread only: envs that hold a browser or a GL context stay
with the thread that made them. An env that raised is closed and rebuilt before the next
episode.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from types import TracebackType
from typing import Any

import gymnasium as gym

from agentloop.adapter import as_skill_env
from agentloop.errors import AgentLoopError, RecordingError, one_line
from agentloop.loop import EpisodeSpec, HumanInput, LoopLimits, make_env, run_episode
from agentloop.models import Model, ModelPool
from agentloop.recording import EpisodeWriter, FramePool
from agentloop.records import EpisodeRecord, Outcome, RunConfig, now
from agentloop.roles import Roles
from agentloop.roles.factory import build_critic, build_roles, build_validator
from agentloop.runner.replay import ReplayPlanner, replayed_run


class Shared:
    """What the workers of one process share: the frame pool that encodes their frames and
    the model backends they call. Whoever makes it closes it (`close`, or a `with` block),
    after its workers."""

    def __init__(self, frame_threads: int = 2) -> None:
        self.frames = FramePool(frame_threads)
        self.models = ModelPool()

    def close(self) -> None:
        try:
            self.frames.close()
        finally:
            self.models.close()

    def __enter__(self) -> Shared:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None,
    ) -> None:
        self.close()


class Worker:
    """Runs episodes of a run on envs it owns (one per env id) and lands each in the run folder.

    It closes its envs (`close`, or a `with` block). The frame pool and models come from the
    `Shared` it is lent; without one it makes its own, and closes that too.
    """

    def __init__(
        self, config: RunConfig, run_dir: Path | str, shared: Shared | None = None,
        human: HumanInput | None = None,
    ) -> None:
        self.config = config
        self.run_dir = Path(run_dir)
        self.human = human
        self._own = shared is None
        self.shared = Shared() if shared is None else shared
        self._envs: dict[str, gym.Env[Any, Any]] = {}

    def env(self, env_id: str) -> gym.Env[Any, Any]:
        """The worker's env for `env_id`, made on first use."""
        env = self._envs.get(env_id)
        if env is None:
            env = self._envs[env_id] = as_skill_env(make_env(self.config, env_id))
        return env

    def drop_env(self, env_id: str) -> None:
        """Close the env for `env_id` (the next episode makes a new one)."""
        env = self._envs.pop(env_id, None)
        if env is not None:
            with contextlib.suppress(Exception):  # an env that failed may fail to close too; it is dropped anyway
                env.close()

    def model(self) -> Model | None:
        """The backend `--model` names (None for a run without one)."""
        if not self.config.model:
            return None
        return self.shared.models.get(self.config.model, self.config.base_url)

    def run(self, spec: EpisodeSpec) -> EpisodeRecord:
        """Run one episode and land it; the record is returned once the episode is on disk."""
        writer = EpisodeWriter(self.run_dir, spec.episode_id, self.shared.frames, self.config.record_frames)
        try:
            record = self._episode(spec, writer)
            writer.finish(record)
        except BaseException:
            writer.abort()
            raise
        return record

    def _episode(self, spec: EpisodeSpec, writer: EpisodeWriter) -> EpisodeRecord:
        try:
            env = self.env(spec.env_id)
            roles = self._roles(env)
        except AgentLoopError:  # a configuration the run cannot go on with
            raise
        except Exception as e:  # the env could not even be built: this episode is an error
            self.drop_env(spec.env_id)
            return error_record(spec, f"env could not be created: {one_line(e)}")
        result = run_episode(env, spec, roles, LoopLimits.of(self.config, spec.env_id), writer, self.human)
        if self.config.model:
            result.record.models = [self.config.model]
        if not result.env_ok:
            self.drop_env(spec.env_id)
        return result.record

    def _roles(self, env: gym.Env[Any, Any]) -> Roles:
        """The episode's roles; with `--planner replay:RUN_DIR`, the recorded decisions plan."""
        replayed = replayed_run(self.config.planner)
        if replayed is None:
            return build_roles(self.config, env, self.model())
        return Roles(ReplayPlanner(replayed), build_critic(self.config, self.model(), self.shared.models),
                     build_validator(self.config, self.model()))

    def close(self) -> None:
        try:
            for env_id in list(self._envs):
                self.drop_env(env_id)
        finally:
            if self._own:
                self.shared.close()

    def __enter__(self) -> Worker:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None,
    ) -> None:
        self.close()


def error_record(spec: EpisodeSpec, error: str) -> EpisodeRecord:
    """The record of an episode that could not run (or whose worker died)."""
    t = now()
    return EpisodeRecord(
        episode_id=spec.episode_id, env_id=spec.env_id, task=spec.task, seed=spec.seed,
        rollout=spec.rollout, outcome=Outcome.ERROR, success=False, error=error, started_at=t, ended_at=t,
    )


def land_error(run_dir: Path | str, spec: EpisodeSpec, error: str) -> EpisodeRecord:
    """Record an episode lost with its worker as an error in the run folder, and return the
    record (saying so when even that could not be written)."""
    record = error_record(spec, error)
    try:
        EpisodeWriter(run_dir, spec.episode_id, record_frames=False).finish(record)
    except RecordingError as e:
        record.error = f"{error}; not recorded: {e}"
    return record
