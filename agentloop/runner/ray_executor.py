"""The same run on a Ray cluster: one actor per worker, each owning its env.

`ray.init()` joins an existing cluster when `RAY_ADDRESS` is set and starts a local instance
otherwise, as Ray users expect. An actor that dies (a segfaulting simulator, a lost node) has
its episode recorded as `error` and is replaced, so the run goes on.
"""

from __future__ import annotations

from pathlib import Path

from agentloop.errors import ConfigError
from agentloop.loop import EpisodeSpec
from agentloop.records import EpisodeRecord, RunConfig
from agentloop.runner.local import OnDone, _write_error
from agentloop.runner.worker import _error_record


def run_ray(specs: list[EpisodeSpec], config: RunConfig, run_dir: Path, on_done: OnDone) -> None:
    try:
        import ray
    except ImportError as e:
        raise ConfigError("--executor ray needs Ray: pip install 'agentloop[ray]'") from e

    started_here = False
    if not ray.is_initialized():
        ray.init(ignore_reinit_error=True, log_to_driver=False, include_dashboard=False)
        started_here = True

    @ray.remote
    class EpisodeActor:
        def __init__(self, config_json: str, run_dir: str):
            from agentloop.runner.worker import Worker

            self.worker = Worker(RunConfig.model_validate_json(config_json), run_dir)

        def run(self, item: dict) -> str:
            rec = self.worker.run(EpisodeSpec(**item))
            self.worker.flush()  # the actor may be torn down as soon as the run ends
            return rec.model_dump_json()

    run_dir = Path(run_dir).resolve()

    def new_actor():
        return EpisodeActor.remote(config.model_dump_json(), str(run_dir))

    todo = list(specs)
    idle = [new_actor() for _ in range(min(config.workers, len(specs)))]
    running: dict = {}  # object ref -> (actor, spec)
    try:
        while todo or running:
            while todo and idle:
                actor, spec = idle.pop(), todo.pop(0)
                ref = actor.run.remote({"env_id": spec.env_id, "seed": spec.seed, "rollout": spec.rollout})
                running[ref] = (actor, spec)
            done, _ = ray.wait(list(running), num_returns=1)
            for ref in done:
                actor, spec = running.pop(ref)
                try:
                    on_done(EpisodeRecord.model_validate_json(ray.get(ref)))
                    idle.append(actor)
                except ray.exceptions.RayError as e:
                    rec = _error_record(spec, f"ray worker failed: {type(e).__name__}: {str(e).splitlines()[0]}")
                    _write_error(run_dir, spec, rec)
                    on_done(rec)
                    ray.kill(actor, no_restart=True)
                    idle.append(new_actor())
    finally:
        if started_here:
            ray.shutdown()
