"""`agentloop show RUN_DIR`: what a run folder holds."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import typer
from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from agentloop.cli import app, console, open_run
from agentloop.errors import ConfigError
from agentloop.recording import RunDir, read_steps
from agentloop.records import EpisodeRecord, RunManifest, StepRecord
from agentloop.report.kinds import StepKind, step_kinds
from agentloop.runner.summary import run_summary

# One letter a step in the rollout list, for its most telling kind, and the legend's word for it
# (as the columns say: rejected by the critic, failed by the validator).
VERDICT_LETTERS = {
    StepKind.ACCEPTED: (".", "accepted"), StepKind.SUCCESS: ("S", "success"), StepKind.REJECTED: ("r", "rejected"),
    StepKind.VALIDATOR_FAILED: ("f", "failed"), StepKind.ACTION_ERROR: ("e", "action error"),
    StepKind.HUMAN: ("h", "human feedback"),
}


@app.command("show")
def show_cmd(
    run_dir: Path = typer.Argument(..., help="a run folder (holds run.json)"),
    episode: str = typer.Option(None, "--episode", "-e", help="show this episode's steps"),
) -> None:
    """Summarise a run (with its rollouts, where a seed has several), or list one episode's steps."""
    rd = open_run(run_dir)
    manifest = rd.manifest()
    if episode:
        _episode(rd, episode)
        return
    records = [rec for _, rec in rd.episodes()]
    c = manifest.config
    console.print(
        f"run {manifest.run_id}: {c.env_id}, planner={c.planner} critic={c.critic} "
        f"validator={c.validator} model={c.model or '-'}; {_finished(manifest, records)}",
        highlight=False,
    )
    console.print(run_summary(rd, records, title=str(run_dir)))
    if any(n > 1 for n in Counter((r.task, r.seed) for r in records).values()):
        console.print(_rollouts(rd, records))


def _finished(manifest: RunManifest, records: Sequence[EpisodeRecord]) -> str:
    """How much of the run landed, counted as rollouts where a seed has several. A run driven
    from outside the loop (a trainer, a server) plans no count: its rollouts are counted only."""
    c = manifest.config
    seeds = len({(r.task, r.seed) for r in records})
    planned = c.episodes * c.group_size
    if len(records) > planned:
        return f"{len(records)} rollouts of {seeds} seed{'' if seeds == 1 else 's'} recorded ({c.planner} chose how many)"
    if c.group_size > 1 or len(records) > seeds:
        return f"{len(records)}/{planned} rollouts finished ({c.episodes} seeds x {c.group_size} rollouts)"
    return f"{len(records)}/{planned} episodes finished"


def _verdicts(steps: Sequence[StepRecord]) -> str:
    return "".join(VERDICT_LETTERS[step_kinds(s)[0]][0] for s in steps) or "-"


def _rollouts(rd: RunDir, records: Sequence[EpisodeRecord]) -> Group:
    """A row per rollout: its outcome, counts and a letter per step for what the judges said;
    no column is cut at 80 columns (the letters wrap)."""
    rows = []
    for r in sorted(records, key=lambda r: (r.task, r.seed, r.rollout)):
        steps = read_steps(rd.episodes_dir / r.episode_id) if r.steps else []
        rows.append([r.episode_id, r.outcome.value, str(r.steps), str(r.critic_rejections), str(r.validator_failures),
                     f"{r.final_progress:.2f}" if r.final_progress is not None else "-", _verdicts(steps)])
    table = Table(title="rollouts", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    for i, col in enumerate(("rollout", "outcome", "steps", "rejected", "failed", "progress", "verdicts")):
        widest = max([len(col)] + [len(row[i]) for row in rows]) if i < 6 else len(col)
        table.add_column(col, min_width=widest, no_wrap=i == 0, overflow="fold",
                         justify="left" if i in (0, 1, 6) else "right")
    for row in rows:
        table.add_row(*row)
    legend = "  ".join(f"{letter} {word}" for letter, word in VERDICT_LETTERS.values())
    return Group(table, Text("verdicts, a letter a step:", style="dim"), Text(f"  {legend}", style="dim"))


def _episode(rd: RunDir, episode: str) -> None:
    """One episode's steps."""
    if episode not in rd.finished_ids():
        raise ConfigError(f"no finished episode {episode!r} in {rd.path} (its episodes are the folders in {rd.episodes_dir})")
    table = Table(title=episode)
    for col in ("#", "action", "critic", "validator", "error", "reward", "progress"):
        table.add_column(col)
    for s in read_steps(rd.episodes_dir / episode):
        table.add_row(
            str(s.index), s.action_text or (s.candidates[-1].text if s.candidates else "-"),
            ("ok" if s.critic.ok else "reject") if s.critic else "-",
            ("ok" if s.validator.ok else f"fail: {s.validator.reason[:50]}") if s.validator else "-",
            (s.action_error or "")[:60], f"{s.rewards.env:.2f}",
            f"{s.progress:.2f}" if s.progress is not None else "-",
        )
    console.print(table, highlight=False)
