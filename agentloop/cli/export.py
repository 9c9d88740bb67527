"""`agentloop export RUN_DIR --format F --out PATH`: a run as a training dataset."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from agentloop.cli import app, console
from agentloop.errors import ConfigError
from agentloop.prompt_spec import PlannerMode

# `agentloop.exports.FORMATS`, written out so that the command line starts without the exports.
FORMAT_FORMS = "parquet|minari|sft|dpo|prm|stepwise|groups|lerobot"


def _date(value: str | None, flag: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{flag} expects an ISO date such as 2026-11-26 or 2026-11-26T20:00, got {value!r}") from None


@app.command("export")
def export_cmd(
    run_dir: Path = typer.Argument(..., help="a run folder (holds run.json)"),
    fmt: str = typer.Option(..., "--format", "-f", metavar=FORMAT_FORMS, help="the dataset's format"),
    out: Path = typer.Option(..., "--out", "-o", metavar="DIR", help="output folder"),
    success_only: bool = typer.Option(False, "--success-only", help="only successful episodes"),
    task: str | None = typer.Option(None, "--task", metavar="T", help="only this task (e.g. robot.pick-place)"),
    since: str | None = typer.Option(None, "--since", metavar="DATE",
                                     help="episodes started at or after (ISO date, UTC)"),
    until: str | None = typer.Option(None, "--until", metavar="DATE",
                                     help="episodes started at or before (ISO date, UTC)"),
    prompt_mode: PlannerMode = typer.Option(
        PlannerMode.STAGED, "--prompt-mode",
        help="where a scripted planner ran, the model planner's calls to render: staged (plan, reflect, "
             "action) or single (one action call a step). A model trained on the export, with the export's "
             "agentloop_prompts.json in its folder, runs in that mode with --model hf:PATH"),
    text_only: bool = typer.Option(False, "--text-only", help="prompts without frames, for text-only models"),
    teacher: str | None = typer.Option(
        None, "--teacher", metavar="scripted|module:Factory",
        help="sft: every step's prompt with this planner's decision there as the target (DAgger): "
             "scripted (the env's own) or a planner a module:Factory makes"),
) -> None:
    """Export a run for training; derived rewards and advantages are computed if missing."""
    from agentloop.exports import Filters, PromptOptions, export

    filters = Filters(success_only=success_only, task=task, since=_date(since, "--since"), until=_date(until, "--until"))
    with Progress(TextColumn("[bold]export {task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("episodes"), TimeElapsedColumn(), TextColumn("· left"), TimeRemainingColumn(),
                  console=console, transient=True) as bar:
        job = bar.add_task(fmt, total=None)
        path = export(run_dir, fmt, out, filters, PromptOptions(mode=prompt_mode, images=not text_only, teacher=teacher),
                      progress=lambda what, done, total: bar.update(job, description=what, completed=done, total=total))
    console.print(f"wrote {fmt} export: {path}", highlight=False)
