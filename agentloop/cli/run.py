"""`agentloop run ENV_ID`: run episodes of an environment with the closed loop."""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path

import typer
from pydantic import ValidationError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from agentloop import registry
from agentloop.cli import app, console
from agentloop.errors import ConfigError
from agentloop.recording.run import default_run_dir
from agentloop.records import EpisodeRecord, RunConfig
from agentloop.runner import execute, prepare
from agentloop.runner.summary import summary_table


class Switch(str, Enum):
    none = "none"
    rule = "rule"
    vlm = "vlm"


class Executor(str, Enum):
    local = "local"
    ray = "ray"


def _env_kwargs(pairs: list[str], disturb: float | None) -> dict:
    out: dict = {}
    for p in pairs:
        key, sep, value = p.partition("=")
        if not sep or not key:
            raise ConfigError(f"--env-arg expects KEY=VALUE, got {p!r}")
        import json

        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    if disturb is not None:
        out["disturb"] = disturb
    return out


def _latest_run(out: Path, env_id: str) -> Path | None:
    prefix = env_id.split("/")[-1].replace(":", "_") + "-"
    if not out.exists():
        return None
    runs = sorted(p for p in out.iterdir() if p.name.startswith(prefix) and (p / "run.json").exists())
    return runs[-1] if runs else None


def _terminal_human(ctx) -> str | None:
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


@app.command("run")
def run_cmd(
    env_id: str = typer.Argument(..., help="e.g. agentloop/robot.pick-place, agentloop/miniwob.click-button"),
    episodes: int = typer.Option(1, "--episodes", "-n", min=1, help="episodes (task seeds)"),
    seed: int = typer.Option(0, "--seed", help="seed of the first episode; episode i uses seed+i"),
    group_size: int = typer.Option(1, "--group-size", min=1, help="rollouts per task and seed"),
    planner: str = typer.Option("auto", "--planner", help="auto | scripted | model | module:Factory"),
    critic: Switch = typer.Option(Switch.rule, "--critic", help="none | rule | vlm"),
    validator: Switch = typer.Option(Switch.rule, "--validator", help="none | rule | vlm"),
    model: str | None = typer.Option(None, "--model", help="openai:NAME | hf:PATH_OR_ID"),
    base_url: str | None = typer.Option(None, "--base-url", help="model server (default: $OPENAI_BASE_URL)"),
    api_key: str | None = typer.Option(None, "--api-key", help="default: $OPENAI_API_KEY; never recorded"),
    candidates: int = typer.Option(1, "--candidates", min=1, help="best-of-N action candidates"),
    max_steps: int | None = typer.Option(None, "--max-steps", min=1, help="default: the env's own step limit"),
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="worker processes"),
    concurrency: int = typer.Option(1, "--concurrency", min=1, help="episodes in flight per worker"),
    executor: Executor = typer.Option(Executor.local, "--executor", help="local | ray"),
    out: Path | None = typer.Option(None, "--out", "-o", help="run folder (default: recordings/<task>-<time>)"),
    resume: bool = typer.Option(False, "--resume", help="finish a killed run in --out (or the latest one)"),
    disturb: float | None = typer.Option(None, "--disturb", min=0.0, max=1.0, help="robot: failure probability per skill"),
    env_arg: list[str] = typer.Option([], "--env-arg", help="KEY=VALUE passed to the env constructor"),
    human: bool = typer.Option(False, "--human", help="type corrections at each step"),
    no_frames: bool = typer.Option(False, "--no-frames", help="do not write frame images"),
) -> None:
    """Run episodes and record them; prints a summary table at the end."""
    env_id = registry.resolve(env_id)
    if api_key:
        os.environ["OPENAI_API_KEY"] = api_key  # reaches worker processes, never the record
    try:
        config = RunConfig(
            env_id=env_id, episodes=episodes, seed=seed, group_size=group_size, planner=planner,
            critic=critic.value, validator=validator.value, model=model, candidates=candidates,
            max_steps=max_steps, workers=workers, concurrency=concurrency,
            executor=executor.value, out=str(out or "recordings"), record_frames=not no_frames, human=human,
            env_kwargs=_env_kwargs(env_arg, disturb), base_url=base_url,
        )
    except ValidationError as e:
        raise ConfigError("; ".join(f"{'.'.join(map(str, x['loc']))}: {x['msg']}" for x in e.errors())) from None

    if out is not None:
        run_dir = out
    elif resume:
        run_dir = _latest_run(Path("recordings"), env_id) or Path("recordings")
    else:
        run_dir = default_run_dir(Path("recordings"), env_id)
    if (run_dir / "run.json").exists() and not resume:
        raise ConfigError(f"{run_dir} already holds a run; add --resume to finish it, or pick another --out")
    if resume and not (run_dir / "run.json").exists():
        raise ConfigError(f"--resume: no run of {env_id} found in {run_dir}")
    rd, todo, finished = prepare(config, run_dir, resume)
    if human and not sys.stdin.isatty():
        raise ConfigError("--human needs an interactive terminal")

    records: list[EpisodeRecord] = list(finished)
    if finished:
        console.print(f"resuming {run_dir}: {len(finished)} episodes done, {len(todo)} to run")
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("success {task.fields[ok]}"), TimeElapsedColumn(),
        console=console, transient=False, disable=human,
    ) as progress:
        bar = progress.add_task(env_id.split("/")[-1], total=len(todo) + len(finished),
                                completed=len(finished), ok=sum(r.success for r in finished))

        def on_done(rec: EpisodeRecord) -> None:
            records.append(rec)
            progress.update(bar, advance=1, ok=sum(r.success for r in records))
            if rec.outcome == "error":
                progress.console.print(f"[red]{rec.episode_id}: error: {rec.error}[/red]", highlight=False)

        execute(todo, config, run_dir, on_done, _terminal_human if human else None)
    rd.clear_partial()  # left by worker processes that died; their episodes are recorded
    from agentloop.rewards import derive_run

    derive_run(run_dir)  # group-level GiGPO advantages beside the raw log
    console.print(summary_table(records, title=f"{env_id}  ({rd.path})"))
