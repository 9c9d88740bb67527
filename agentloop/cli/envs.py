"""`agentloop list`: the environments that can be run."""

from __future__ import annotations

import difflib

import typer
from rich.table import Table

from agentloop import registry
from agentloop.cli import app, console
from agentloop.errors import ConfigError


@app.command("list")
def list_cmd(
    family: str = typer.Argument(None, help="only this family, e.g. robot, miniwob, site, android"),
    all_gym: bool = typer.Option(False, "--all", help="include every registered Gymnasium env"),
) -> None:
    """List the environments you can run."""
    entries = registry.list_envs(all_gym=all_gym)
    if family:
        families = sorted({e.family for e in entries})
        if family not in families:
            close = difflib.get_close_matches(family, families, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ConfigError(f"no family {family!r}{hint}; the families are {', '.join(families)}")
        entries = [e for e in entries if e.family == family]
    table = Table(title=f"{len(entries)} environment{'' if len(entries) == 1 else 's'}")
    table.add_column("id")
    table.add_column("family")
    table.add_column("description")
    for e in entries:
        table.add_row(e.id, e.family, e.description)
    console.print(table)
    for name, err in registry.plugin_errors.items():
        console.print(f"[yellow]the {name} envs could not be loaded: {err}[/yellow]")
