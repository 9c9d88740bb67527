"""`agentloop serve ENV_ID`: an OpenEnv-compatible server, one env per WebSocket session."""

from __future__ import annotations

from pathlib import Path

import typer
from pydantic import ValidationError

from agentloop.cli import app, console
from agentloop.cli.run import env_args
from agentloop.errors import ConfigError
from agentloop.serve import TOKEN_ENV

TOKEN_HELP = ("bearer token every connection must present (needed to bind beyond loopback); "
              "prefer the environment variable, which no process list shows")


@app.command("serve")
def serve_cmd(
    env_id: str = typer.Argument(..., help="environment id, e.g. agentloop/robot.pick-place"),
    host: str = typer.Option("127.0.0.1", "--host", help="address to bind (loopback unless a token is set)"),
    port: int = typer.Option(8000, "--port", "-p", min=0, max=65535, help="port to listen on"),
    max_sessions: int = typer.Option(16, "--max-sessions", min=1, help="sessions at once; one more is refused"),
    token: str | None = typer.Option(None, "--token", envvar=TOKEN_ENV, help=TOKEN_HELP,
                                     show_envvar=True),
    threads: int | None = typer.Option(None, "--threads", min=1, help="threads the envs run on (default: up to 4)"),
    critic: str = typer.Option("rule", "--critic", help="none | rule | vlm | prm:PATH | rule+prm:PATH"),
    validator: str = typer.Option("rule", "--validator", help="none | rule | vlm"),
    model: str | None = typer.Option(None, "--model", help="backend of a vlm critic or validator"),
    base_url: str | None = typer.Option(None, "--base-url", help="its server, for openai:NAME"),
    max_steps: int | None = typer.Option(None, "--max-steps", min=1, help="calls per episode (default: the env's)"),
    record: Path | None = typer.Option(None, "--record", help="run folder to record every session's episodes in"),
    no_frames: bool = typer.Option(False, "--no-frames", help="leave the frame out of observations"),
    env_arg: list[str] = typer.Option([], "--env-arg", help="KEY=VALUE passed to the env constructor"),
) -> None:
    """Serve ENV_ID to OpenEnv clients: reset(seed) and step({"action": "<skill call>"}) over a
    WebSocket session each, every call judged by the critic before it runs and the validator
    after, the verdicts and reward components in the observation."""
    from agentloop.serve import ServeConfig, check_bind, serve

    check_bind(host, token)
    try:
        config = ServeConfig(
            env_id=env_id, max_sessions=max_sessions, threads=threads, token=token, critic=critic,
            validator=validator, model=model, base_url=base_url, max_steps=max_steps, record=record,
            frames=not no_frames, env_kwargs=env_args(env_arg),
        )
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors())
        raise ConfigError(problems) from e
    guard = "token required" if token else "loopback only"
    console.print(f"serving {env_id} on http://{host}:{port} (OpenEnv WebSocket at /ws; {guard}; "
                  f"at most {max_sessions} sessions)", highlight=False)
    serve(config, host=host, port=port)
