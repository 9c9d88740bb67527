"""Running many episodes: plan the episode list, skip what is finished, dispatch, then derive
the run's rewards once every episode has landed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from agentloop import registry
from agentloop.errors import ConfigError
from agentloop.loop import EpisodeSpec, HumanInput
from agentloop.recording import RunDir
from agentloop.records import EpisodeRecord, RunConfig
from agentloop.rewards import GroupAdvantages, derive_run
from agentloop.roles.factory import check_models


def episode_specs(config: RunConfig, env_id: str) -> list[EpisodeSpec]:
    """Every episode the run asks for: each seed, `group_size` rollouts of it."""
    return [
        EpisodeSpec(env_id=env_id, seed=config.seed + i, rollout=r)
        for i in range(config.episodes)
        for r in range(config.group_size)
    ]


def prepare(config: RunConfig, run_dir: Path, resume: bool) -> tuple[RunDir, list[EpisodeSpec], list[EpisodeRecord]]:
    """Create (or reopen, with `resume`) the run folder; return what is left to run. A model
    the run names that cannot be reached stops it here, before a folder or an episode exists."""
    check_models(config)
    rd = RunDir(run_dir)
    env_id = registry.resolve(config.env_id)
    if rd.exists():
        if not resume:
            raise ConfigError(f"{run_dir} already holds a run; pass --resume to finish it or choose another --out")
        old = rd.manifest().config
        if old.env_id != config.env_id or old.seed != config.seed or old.group_size != config.group_size:
            raise ConfigError(
                f"--resume: {run_dir} was run with env {old.env_id!r}, seed {old.seed}, "
                f"group size {old.group_size}; resume with the same values"
            )
        rd.clear_partial()
    else:
        if resume and run_dir.exists() and any(run_dir.iterdir()):
            raise ConfigError(f"--resume: {run_dir} is not a run folder (no run.json)")
        rd.create(config, [env_id], [config.model] if config.model else [])
    done = rd.finished_ids()
    specs = episode_specs(config, env_id)
    finished = [rec for d, rec in rd.episodes() if d.name in {s.episode_id for s in specs}]
    todo = [s for s in specs if s.episode_id not in done]
    return rd, todo, finished


def execute(
    specs: list[EpisodeSpec], config: RunConfig, run_dir: Path,
    on_done: Callable[[EpisodeRecord], None], human: HumanInput | None = None,
) -> None:
    """Run `specs` with the executor the config names; `on_done` gets each record once its
    episode has landed. Every executor hands its records back here, so a crash's traceback
    goes to the run's `errors.log` alike under each."""
    if not specs:
        return
    rd = RunDir(run_dir)

    def landed(record: EpisodeRecord) -> None:
        rd.log_error(record)
        on_done(record)
    if config.executor == "ray":
        from agentloop.runner.ray_executor import run_ray

        run_ray(specs, config, run_dir, landed)
    elif config.workers <= 1 or human is not None:
        from agentloop.runner.local import run_in_process

        run_in_process(specs, config, run_dir, landed, human)
    else:
        from agentloop.runner.local import run_processes

        run_processes(specs, config, run_dir, landed)


def conclude(rd: RunDir) -> list[GroupAdvantages]:
    """After the last episode: drop what dead workers left half-written (their episodes are
    recorded as errors) and derive the run's rewards, per episode and per group."""
    rd.clear_partial()
    return derive_run(rd.path)
