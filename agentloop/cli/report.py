"""`agentloop report RUN_DIR`: a static HTML report of a run."""

from __future__ import annotations

from pathlib import Path

import typer

from agentloop.cli import app, console


@app.command("report")
def report_cmd(
    run_dir: Path = typer.Argument(..., help="a run folder (holds run.json)"),
    out: Path | None = typer.Option(None, "--out", "-o", help="HTML file (default: RUN_DIR/report.html)"),
) -> None:
    """Write a static HTML report: success per task, and per episode a timeline with verdicts and rewards."""
    from agentloop.report import build_report

    console.print(f"wrote {build_report(run_dir, out)}", highlight=False)
