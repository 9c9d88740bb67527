"""`agentloop serve ENV_ID`: an OpenEnv-compatible server, one env per WebSocket session."""

from __future__ import annotations

from pathlib import Path

import typer
from pydantic import ValidationError

from agentloop.cli import app, console
from agentloop.cli.options import argument, option, settings
from agentloop.cli.run import CRITIC_FORMS, MODEL_FORMS, Switch, env_args
from agentloop.errors import ConfigError, validation_problems
from agentloop.integrations.options import TOKEN_ENV
from agentloop.serve.config import ServeConfig


@app.command("serve")
def serve_cmd(
    env_id: str = argument(ServeConfig, "env_id"),
    host: str = typer.Option("127.0.0.1", "--host", metavar="ADDRESS",
                             help="address to bind (loopback unless a token is set)"),
    port: int = typer.Option(8000, "--port", "-p", min=0, max=65535, metavar="P", help="port to listen on"),
    max_sessions: int = option(ServeConfig, "max_sessions", "--max-sessions", metavar="N"),
    token: str | None = option(ServeConfig, "token", "--token", envvar=TOKEN_ENV, show_envvar=True, metavar="T"),
    workers: int | None = option(ServeConfig, "workers", "--workers", metavar="N"),
    threads: int | None = option(ServeConfig, "threads", "--threads", metavar="N"),
    critic: str = option(ServeConfig, "critic", "--critic", metavar=CRITIC_FORMS),
    validator: Switch = option(ServeConfig, "validator", "--validator", default=Switch.rule),
    model: str | None = option(ServeConfig, "model", "--model", metavar=MODEL_FORMS),
    base_url: str | None = option(ServeConfig, "base_url", "--base-url", metavar="URL"),
    max_steps: int | None = option(ServeConfig, "max_steps", "--max-steps", metavar="K"),
    max_replans: int = option(ServeConfig, "max_replans", "--max-replans", metavar="R"),
    record: Path | None = option(ServeConfig, "record", "--record", metavar="DIR"),
    record_frames: bool = option(ServeConfig, "record_frames", "--record-frames/--no-record-frames"),
    frames: bool = option(ServeConfig, "frames", "--frames/--no-frames"),
    env_arg: list[str] = option(ServeConfig, "env_kwargs", "--env-arg", default=[], metavar="KEY=VALUE"),
) -> None:
    """Serve ENV_ID to OpenEnv clients, each call judged before and after it runs.

    reset(seed) and step({"action": "<skill call>"}) over a WebSocket session each; the critic
    judges every call before it runs and the validator after, and the observation carries the
    verdicts and reward components.
    """
    given = dict(locals())  # the options by name: those named like a field fill it
    from agentloop.serve import check_bind, serve

    check_bind(host, token)
    try:
        config = ServeConfig(**{**settings(ServeConfig, given), "env_kwargs": env_args(env_arg)})
    except ValidationError as e:
        raise ConfigError(validation_problems(e)) from None
    guard = "token required" if token else "loopback only"
    n = config.worker_count()
    console.print(f"serving {env_id} on http://{host}:{port} (OpenEnv WebSocket at /ws; {guard}; "
                  f"at most {max_sessions} sessions; {n} worker{'s' if n > 1 else ''})", highlight=False)
    serve(config, host=host, port=port)
