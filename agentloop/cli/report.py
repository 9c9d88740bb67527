"""`agentloop report RUN_DIR` and `agentloop view RUN_DIR`: the run's static report site."""

from __future__ import annotations

import webbrowser
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from agentloop.cli import app, console, open_run

OUT_HELP = "report folder (default: RUN_DIR/report)"
JOBS_HELP = "processes that build episode pages (default: the cores there are, at most 4)"


def _watch(run_dir: Path, out: Path | None, interval: float, jobs: int | None, open_page: bool) -> None:
    from agentloop.report import BuildResult, watch
    from agentloop.report.layout import Layout

    index = Layout(out if out is not None else run_dir / "report", run_dir).index
    console.print(f"watching {run_dir}; open {index.resolve().as_uri()} (Ctrl-C stops)", highlight=False)
    opened = not open_page

    def say(result: BuildResult) -> None:
        nonlocal opened
        console.print(f"{result.episodes}/{result.expected} episodes in {result.index}", highlight=False)
        if not opened:
            webbrowser.open(result.index.resolve().as_uri())
            opened = True

    result = watch(run_dir, out, interval, jobs, say=say)
    if result is None:
        console.print(f"{run_dir} never became a run folder", highlight=False)
        return
    console.print(f"wrote {result.index} ({result.episodes} episodes)", highlight=False)


@app.command("report")
def report_cmd(
    run_dir: Path = typer.Argument(..., help="a run folder (holds run.json)"),
    out: Path | None = typer.Option(None, "--out", "-o", help=OUT_HELP),
    watch: bool = typer.Option(False, "--watch", "-w", help="keep the report current while the run goes"),
    interval: float = typer.Option(2.0, "--interval", help="seconds between updates with --watch"),
    jobs: int | None = typer.Option(None, "--jobs", "-j", min=1, help=JOBS_HELP),
) -> None:
    """Write the run's report: an index (configuration, success per task, a filterable episode list)
    and a page per episode (step timeline, frames before and after, plans, verdicts, model calls,
    rewards), opened from the file system."""
    if watch:
        _watch(run_dir, out, interval, jobs, open_page=False)
        return
    from agentloop.report import build_site

    open_run(run_dir)
    with Progress(TextColumn("[bold]report"), BarColumn(), MofNCompleteColumn(), TextColumn("pages"),
                  TimeElapsedColumn(), TextColumn("· left"), TimeRemainingColumn(), console=console,
                  transient=True) as bar:
        task = bar.add_task("report", total=None)
        result = build_site(run_dir, out, jobs, progress=lambda done, total: bar.update(task, completed=done, total=total))
    console.print(f"wrote {result.index} ({result.episodes} episodes, {result.built} built now)", highlight=False)


@app.command("view")
def view_cmd(
    run_dir: Path = typer.Argument(..., help="a run folder, or where a run is about to write"),
    out: Path | None = typer.Option(None, "--out", "-o", help=OUT_HELP),
    interval: float = typer.Option(2.0, "--interval", help="seconds between updates"),
    jobs: int | None = typer.Option(None, "--jobs", "-j", min=1, help=JOBS_HELP),
    open_page: bool = typer.Option(False, "--open", help="open the index in the default browser"),
) -> None:
    """Keep the run's report current while it goes (`report --watch`); stops when every episode landed."""
    _watch(run_dir, out, interval, jobs, open_page)
