"""TRL stepwise supervision: per episode a prompt, the executed actions as completions and a
boolean label per step from the validator's verdict (and the action's validity)."""

from __future__ import annotations

from pathlib import Path

import datasets

from agentloop.exports.hf import write_parquet
from agentloop.exports.source import Run, action_of, prompt_text

FEATURES = datasets.Features({
    "prompt": datasets.Value("string"), "completions": datasets.List(datasets.Value("string")),
    "labels": datasets.List(datasets.Value("bool")), "images": datasets.List(datasets.Image()),
    "episode_id": datasets.Value("string"), "success": datasets.Value("bool"),
})


def export(run: Run, out: Path) -> Path:
    rows = []
    for ep in run.episodes():
        steps = [s for s in ep.steps if action_of(s) is not None]
        if not steps:
            continue
        labels = [bool(s.label) if s.label is not None else bool(s.validator is None or s.validator.ok)
                  for s in steps]
        image = ep.image(steps[0].frame)
        rows.append({
            "prompt": prompt_text(ep, steps[0]), "completions": [action_of(s) for s in steps],
            "labels": labels, "images": [image] if image is not None else [],
            "episode_id": ep.record.episode_id, "success": ep.record.success,
        })
    return write_parquet(rows, FEATURES, out, "prm")
