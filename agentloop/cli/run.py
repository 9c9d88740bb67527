"""`agentloop run ENV_ID`: run episodes of an environment with the closed loop."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path

import typer
from pydantic import ValidationError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from agentloop import registry
from agentloop.cli import app, console
from agentloop.cli.options import argument, option, settings
from agentloop.context import Context
from agentloop.errors import ConfigError, validation_problems
from agentloop.loop import EpisodeSpec
from agentloop.models.human import in_terminal
from agentloop.recording import RunDir, default_run_dir
from agentloop.records import EpisodeRecord, Outcome, RunConfig
from agentloop.runner import conclude, execute, prepare
from agentloop.runner.summary import run_summary


class Switch(str, Enum):
    """`--validator`: off, by rule, or by a model."""

    none = "none"
    rule = "rule"
    vlm = "vlm"


class Executor(str, Enum):
    """`--executor`: processes on this machine, or a Ray cluster."""

    local = "local"
    ray = "ray"


def env_args(pairs: list[str]) -> dict[str, object]:
    """`--env-arg KEY=VALUE` pairs, values read as JSON where they are."""
    out: dict[str, object] = {}
    for p in pairs:
        key, sep, value = p.partition("=")
        if not sep or not key:
            raise ConfigError(f"--env-arg expects KEY=VALUE, got {p!r}")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def _env_kwargs(pairs: list[str], disturb: float | None) -> dict[str, object]:
    """`--env-arg` pairs and `--disturb`."""
    out = env_args(pairs)
    if disturb is not None:
        out["disturb"] = disturb
    return out


def _latest_run(out: Path, env_id: str) -> Path | None:
    prefix = env_id.split("/")[-1].replace(":", "_") + "-"
    if not out.exists():
        return None
    runs = sorted(p for p in out.iterdir() if p.name.startswith(prefix) and RunDir(p).exists())
    return runs[-1] if runs else None


def _terminal_human(ctx: Context) -> str | None:
    """Ask for a correction at each step; an empty line continues."""
    console.print(f"[bold]step {ctx.step}[/bold] goal: {ctx.goal}", highlight=False)
    if ctx.history:
        last = ctx.history[-1]
        console.print(f"  last action: {last.action}  error: {last.action_error or '-'}", highlight=False)
    try:
        text = input("correction (enter to continue)> ").strip()
    except EOFError:
        return None
    return text or None


PLANNER_FORMS = "auto|scripted|model[:single|:staged]|module:Factory|replay:RUN_DIR"
CRITIC_FORMS = "none|rule|vlm|prm:PATH|rule+prm:PATH"
MODEL_FORMS = "openai:NAME|hf:PATH_OR_ID|human[:stdio|:web[:PORT]]|function:module:callable"


@app.command("run")
def run_cmd(
    env_id: str = argument(RunConfig, "env_id"),
    episodes: int = option(RunConfig, "episodes", "--episodes", "-n", metavar="N"),
    seed: int = option(RunConfig, "seed", "--seed", metavar="S"),
    group_size: int = option(RunConfig, "group_size", "--group-size", metavar="G"),
    planner: str = option(RunConfig, "planner", "--planner", metavar=PLANNER_FORMS),
    critic: str = option(RunConfig, "critic", "--critic", metavar=CRITIC_FORMS),
    validator: Switch = option(RunConfig, "validator", "--validator", default=Switch.rule),
    model: str | None = option(RunConfig, "model", "--model", metavar=MODEL_FORMS),
    base_url: str | None = option(RunConfig, "base_url", "--base-url", metavar="URL"),
    api_key: str | None = typer.Option(None, "--api-key", metavar="KEY",
                                       help="key of the model server (default: $OPENAI_API_KEY); never recorded"),
    candidates: int = option(RunConfig, "candidates", "--candidates", metavar="N"),
    max_steps: int | None = option(RunConfig, "max_steps", "--max-steps", metavar="K"),
    max_critic_rejections: int = option(RunConfig, "max_critic_rejections", "--max-critic-rejections", metavar="R"),
    max_replans: int = option(RunConfig, "max_replans", "--max-replans", metavar="R"),
    workers: int = option(RunConfig, "workers", "--workers", "-w", metavar="W"),
    concurrency: int = option(RunConfig, "concurrency", "--concurrency", metavar="C"),
    executor: Executor = option(RunConfig, "executor", "--executor", default=Executor.local),
    out: Path | None = option(RunConfig, "out", "--out", "-o", default=None, metavar="DIR"),
    resume: bool = typer.Option(False, "--resume", help="finish a killed run in --out (or the latest one)"),
    disturb: float | None = typer.Option(None, "--disturb", min=0.0, max=1.0, metavar="P",
                                         help="robot: failure probability per skill"),
    env_arg: list[str] = option(RunConfig, "env_kwargs", "--env-arg", default=[], metavar="KEY=VALUE"),
    human: bool = option(RunConfig, "human", "--human"),
    record_frames: bool = option(RunConfig, "record_frames", "--frames/--no-frames"),
) -> None:
    """Run episodes and record them; prints a summary table at the end."""
    given = dict(locals())  # the options by name: those named like a field fill it
    env_id = registry.resolve(env_id)
    if api_key:
        os.environ["OPENAI_API_KEY"] = api_key  # reaches worker processes, never the record
    config = _validated(lambda: RunConfig(**{
        **settings(RunConfig, given), "env_id": env_id, "out": str(out or "recordings"),
        "env_kwargs": _env_kwargs(env_arg, disturb)}))
    if human and not sys.stdin.isatty():
        raise ConfigError("--human needs an interactive terminal")
    rd, todo, finished = prepare(config, _run_dir(out, resume, env_id), resume)
    records = _execute(rd, todo, finished, config)
    conclude(rd)  # derived rewards beside the raw log, per episode and per group
    console.print(run_summary(rd, records, title=f"{env_id}  ({rd.path})"))


def _validated(make: Callable[[], RunConfig]) -> RunConfig:
    """The run's config, or a one-line error naming each bad value."""
    try:
        return make()
    except ValidationError as e:
        raise ConfigError(validation_problems(e)) from None


def _run_dir(out: Path | None, resume: bool, env_id: str) -> Path:
    """`--out`, else (with `--resume`) the latest run of the env, else a new folder. A run
    already there without `--resume` is refused where the folder is prepared."""
    if out is not None:
        run_dir = out
    elif resume:
        run_dir = _latest_run(Path("recordings"), env_id) or Path("recordings")
    else:
        run_dir = default_run_dir(Path("recordings"), env_id)
    if resume and not RunDir(run_dir).exists():
        raise ConfigError(f"--resume: no run of {env_id} found in {run_dir}")
    return run_dir


def _execute(rd: RunDir, todo: list[EpisodeSpec], finished: list[EpisodeRecord], config: RunConfig) -> list[EpisodeRecord]:
    """Run what is left, with a progress bar; returns the records of the whole run."""
    records = list(finished)
    if finished:
        console.print(f"resuming {rd.path}: {len(finished)} episodes done, {len(todo)} to run")
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("success {task.fields[ok]}"), TimeElapsedColumn(),
        console=console, transient=False, disable=config.human or in_terminal(config.model),
    ) as progress:
        bar = progress.add_task(config.env_id.split("/")[-1], total=len(todo) + len(finished),
                                completed=len(finished), ok=sum(r.success for r in finished))

        def on_done(rec: EpisodeRecord) -> None:
            records.append(rec)
            progress.update(bar, advance=1, ok=sum(r.success for r in records))
            if rec.outcome is Outcome.ERROR:
                progress.console.print(f"[red]{rec.episode_id}: error: {rec.error}[/red]", highlight=False)

        execute(todo, config, rd.path, on_done, _terminal_human if config.human else None)
    return records
