"""`agentloop serve --workers N`: N processes behind one port, uvicorn's own workers.

uvicorn binds the port once and spawns the workers; each builds the app from `worker_app`
(reading the server's settings from the environment it inherits) and the kernel hands each
new connection to one of them. A WebSocket session lives on the process that accepted it, so
it is pinned there for its life, its env on one of that process's lanes. The workers count
their sessions together (`SharedSeats`, files in a state folder made for the server's life),
so `/sessions` and the `--max-sessions` refusal are the whole server's whichever worker answers.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from pydantic import SecretStr

from agentloop import registry
from agentloop.integrations.options import TOKEN_ENV
from agentloop.serve.app import build_app
from agentloop.serve.auth import check_bind
from agentloop.serve.config import ServeConfig

CONFIG_ENV = "AGENTLOOP_SERVE_CONFIG"  # the server's settings (JSON, no token) for its workers
STATE_ENV = "AGENTLOOP_SERVE_STATE"  # the folder of the seat locks and rollout claims


def serve_workers(config: ServeConfig, host: str, port: int, **uvicorn_options: Any) -> None:
    """Run `config.worker_count()` worker processes on `host:port` until interrupted."""
    import uvicorn

    if config.record is not None:  # made once here, before the workers race to make it
        run = config.run_config(registry.resolve(config.env_id), "openenv")
        recorder = config.recorder(run)
        if recorder is not None:
            recorder.close()
    state = tempfile.mkdtemp(prefix="agentloop-serve-")
    os.environ[CONFIG_ENV] = config.model_dump_json(exclude={"token"})
    os.environ[STATE_ENV] = state
    if config.token is not None:  # the token travels as it came: in the environment, never on a command line
        os.environ[TOKEN_ENV] = config.token.get_secret_value()
    try:
        uvicorn.run(f"{__name__}:worker_app", factory=True, workers=config.worker_count(), host=host, port=port,
                    log_level="warning", **uvicorn_options)
    finally:
        shutil.rmtree(state, ignore_errors=True)


def worker_app() -> FastAPI:
    """One worker's app (uvicorn calls it in each worker process)."""
    config = ServeConfig.model_validate_json(os.environ[CONFIG_ENV])
    token = os.environ.get(TOKEN_ENV)
    if token:
        config = config.model_copy(update={"token": SecretStr(token)})
    return build_app(config, Path(os.environ[STATE_ENV]))


def serve(config: ServeConfig, host: str = "127.0.0.1", port: int = 8000, **uvicorn_options: Any) -> None:
    """Run the server until interrupted, on `config.workers` processes (default: one per
    core); refuses a bind beyond loopback without a token."""
    import uvicorn

    check_bind(host, config.token.get_secret_value() if config.token is not None else None)
    if config.worker_count() > 1:
        serve_workers(config, host, port, **uvicorn_options)
        return
    uvicorn.run(build_app(config), host=host, port=port, log_level="warning", **uvicorn_options)
