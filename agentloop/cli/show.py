"""`agentloop show RUN_DIR`: what a run folder holds."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from agentloop.cli import app, console
from agentloop.errors import ConfigError
from agentloop.recording import RunDir, read_steps
from agentloop.runner.summary import run_summary


@app.command("show")
def show_cmd(
    run_dir: Path = typer.Argument(..., help="a run folder (holds run.json)"),
    episode: str = typer.Option(None, "--episode", "-e", help="show this episode's steps"),
) -> None:
    """Summarise a run, or list one episode's steps."""
    rd = RunDir(run_dir)
    manifest = rd.manifest()
    if episode:
        d = rd.episodes_dir / episode
        if episode not in rd.finished_ids():
            raise ConfigError(f"no finished episode {episode!r} in {run_dir}")
        table = Table(title=episode)
        for col in ("#", "action", "critic", "validator", "error", "reward", "progress"):
            table.add_column(col)
        for s in read_steps(d):
            table.add_row(
                str(s.index), s.action_text or (s.candidates[-1].text if s.candidates else "-"),
                ("ok" if s.critic.ok else "reject") if s.critic else "-",
                ("ok" if s.validator.ok else f"fail: {s.validator.reason[:50]}") if s.validator else "-",
                (s.action_error or "")[:60], f"{s.rewards.env:.2f}",
                f"{s.progress:.2f}" if s.progress is not None else "-",
            )
        console.print(table, highlight=False)
        return
    records = [rec for _, rec in rd.episodes()]
    c = manifest.config
    console.print(
        f"run {manifest.run_id}: {c.env_id}, planner={c.planner} critic={c.critic} "
        f"validator={c.validator} model={c.model or '-'}; {len(records)}/{c.episodes * c.group_size} episodes finished",
        highlight=False,
    )
    console.print(run_summary(rd, records, title=str(run_dir)))
