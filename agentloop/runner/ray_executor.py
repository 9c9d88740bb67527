"""The same run on a Ray cluster: one actor per worker, each owning its env.

`ray.init(address=...)` joins an existing cluster when `RAY_ADDRESS` is set and starts a local
instance otherwise, exactly as Ray users expect.
"""

from __future__ import annotations

from pathlib import Path

from agentloop.errors import ConfigError
from agentloop.loop import EpisodeSpec
from agentloop.records import EpisodeRecord, RunConfig
from agentloop.runner.local import OnDone


def run_ray(specs: list[EpisodeSpec], config: RunConfig, run_dir: Path, on_done: OnDone) -> None:
    try:
        import ray
        from ray.util import ActorPool
    except ImportError as e:
        raise ConfigError("--executor ray needs Ray: pip install 'agentloop[ray]'") from e

    started_here = False
    if not ray.is_initialized():
        ray.init(ignore_reinit_error=True, log_to_driver=False, include_dashboard=False)
        started_here = True

    @ray.remote(max_restarts=3)
    class EpisodeActor:
        def __init__(self, config_json: str, run_dir: str):
            from agentloop.runner.worker import Worker

            self.worker = Worker(RunConfig.model_validate_json(config_json), run_dir)

        def run(self, item: dict) -> str:
            rec = self.worker.run(EpisodeSpec(**item))
            self.worker.flush()  # the actor may be torn down as soon as the run ends
            return rec.model_dump_json()

    try:
        actors = [
            EpisodeActor.remote(config.model_dump_json(), str(Path(run_dir).resolve()))
            for _ in range(min(config.workers, len(specs)))
        ]
        pool = ActorPool(actors)
        items = [{"env_id": s.env_id, "seed": s.seed, "rollout": s.rollout} for s in specs]
        for payload in pool.map_unordered(lambda a, item: a.run.remote(item), items):
            on_done(EpisodeRecord.model_validate_json(payload))
    finally:
        if started_here:
            ray.shutdown()
