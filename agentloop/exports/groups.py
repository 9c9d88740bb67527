"""Groups of rollouts per task and seed with GiGPO episode- and step-level advantages:
one row per episode, its steps as a list, each with the prompt and reply of the planner call
that decided its action (recorded or rendered, as in the SFT rows)."""

from __future__ import annotations

from pathlib import Path

import datasets

from agentloop.exports.hf import write_parquet
from agentloop.exports.replay import Moment
from agentloop.exports.rows import final_row, run_moments
from agentloop.exports.source import Episode, Run, action_of

STEP = {
    "index": datasets.Value("int64"), "state_key": datasets.Value("string"),
    "prompt": datasets.Value("string"), "completion": datasets.Value("string"), "action": datasets.Value("string"),
    "return": datasets.Value("float64"), "anchor_size": datasets.Value("int64"),
    "step_advantage": datasets.Value("float64"), "advantage": datasets.Value("float64"),
}
FEATURES = datasets.Features({
    "group": datasets.Value("string"), "task": datasets.Value("string"), "seed": datasets.Value("int64"),
    "group_size": datasets.Value("int64"), "episode_id": datasets.Value("string"),
    "outcome": datasets.Value("float64"), "episode_advantage": datasets.Value("float64"),
    "steps": datasets.List(STEP),
})


def _decisions(ep: Episode, moments: list[Moment]) -> dict[int, tuple[str, str]]:
    """Per step index, the prompt and reply of the call behind its executed (else last) candidate."""
    out: dict[int, tuple[str, str]] = {}
    for m in moments:
        row = final_row(ep, m)
        if row is not None and (m.proposed.executed or m.step.index not in out):
            out[m.step.index] = (row.prompt_text(), row.call.raw)
    return out


def export(run: Run, out: Path) -> Path:
    by_id: dict[str, Episode] = {}
    decided: dict[str, dict[int, tuple[str, str]]] = {}
    for ep, moments in run_moments(run):
        by_id[ep.record.episode_id], decided[ep.record.episode_id] = ep, _decisions(ep, moments)
    rows = []
    for g in run.groups:
        members = [e for e in g.episodes if e.episode_id in by_id]
        for e in members:
            ep = by_id[e.episode_id]
            rows.append({
                "group": f"{g.task}__s{g.seed:05d}", "task": g.task, "seed": g.seed,
                "group_size": len(members), "episode_id": e.episode_id, "outcome": e.outcome,
                "episode_advantage": e.episode_advantage,
                "steps": [{
                    "index": a.index, "state_key": a.state_key,
                    "prompt": decided[e.episode_id].get(ep.steps[a.index].index, ("", ""))[0],
                    "completion": decided[e.episode_id].get(ep.steps[a.index].index, ("", ""))[1],
                    "action": action_of(ep.steps[a.index]), "return": a.ret, "anchor_size": a.anchor_size,
                    "step_advantage": a.step_advantage, "advantage": a.advantage,
                } for a in e.steps],
            })
    return write_parquet(rows, FEATURES, out, "groups")
