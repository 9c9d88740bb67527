"""The same run on a Ray cluster: one actor per worker, each owning its env.

`ray.init()` joins an existing cluster when `RAY_ADDRESS` is set and starts a local instance
otherwise, as Ray users expect. An actor that dies (a segfaulting simulator, a lost node) has
its episode recorded as `error` and is replaced, so the run goes on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentloop.errors import ConfigError
from agentloop.loop import EpisodeSpec
from agentloop.records import EpisodeRecord, RunConfig
from agentloop.runner.local import OnDone
from agentloop.runner.worker import land_error


class EpisodeActor:
    """A Ray actor's state: one worker, owning its env, and what it shares (frames, models).
    `close` releases them; an actor that is killed releases them with its process."""

    def __init__(self, config_json: str, run_dir: str) -> None:
        from agentloop.runner.worker import Worker

        self.worker = Worker(RunConfig.model_validate_json(config_json), run_dir)

    def run(self, spec: EpisodeSpec) -> EpisodeRecord:
        return self.worker.run(spec)

    def close(self) -> None:
        self.worker.close()


def run_ray(specs: list[EpisodeSpec], config: RunConfig, run_dir: Path, on_done: OnDone) -> None:
    """Run the episodes on `workers` Ray actors, one episode at a time each."""
    try:
        import ray
    except ImportError as e:
        raise ConfigError("--executor ray needs Ray: pip install 'agentloop[ray]'") from e
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(ignore_reinit_error=True, log_to_driver=False, include_dashboard=False)
    try:
        _dispatch(ray, specs, config, Path(run_dir).resolve(), on_done)
    finally:
        if started_here:
            ray.shutdown()


def _dispatch(ray: Any, specs: list[EpisodeSpec], config: RunConfig, run_dir: Path, on_done: OnDone) -> None:
    actor_class = ray.remote(EpisodeActor)

    def new_actor() -> Any:
        return actor_class.remote(config.model_dump_json(), str(run_dir))

    todo = list(specs)
    idle = [new_actor() for _ in range(min(config.workers, len(specs)))]
    running: dict[Any, tuple[Any, EpisodeSpec]] = {}  # object ref -> (actor, spec)
    try:
        while todo or running:
            while todo and idle:
                actor, spec = idle.pop(), todo.pop(0)
                running[actor.run.remote(spec)] = (actor, spec)
            done, _ = ray.wait(list(running), num_returns=1)
            for ref in done:
                actor, spec = running.pop(ref)
                try:
                    on_done(ray.get(ref))
                    idle.append(actor)
                except ray.exceptions.RayError as e:
                    first = str(e).splitlines()[0] if str(e) else ""
                    on_done(land_error(run_dir, spec, f"ray worker failed: {type(e).__name__}: {first}"))
                    ray.kill(actor, no_restart=True)
                    idle.append(new_actor())
    finally:
        ray.get([actor.close.remote() for actor in idle])
