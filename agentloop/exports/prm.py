"""TRL stepwise supervision for a process reward model: one row per judged candidate, the
prompt the learned critic reads at that step (`agentloop.prompts.messages.prm_prompt`), the
candidate in the planner's reply format as the one completion, and its label: for the
candidate that ran, the step's (it ran, was valid and passed the validator) unless the step
set the task's progress back; False for one the rule critic refused. A model trained on it
runs as `--critic prm:PATH`."""

from __future__ import annotations

from pathlib import Path

import datasets

from agentloop.exports.hf import Row, write_parquet
from agentloop.exports.rows import Origin, label_of, run_moments
from agentloop.exports.source import Run
from agentloop.prompt_spec import prompt_version
from agentloop.prompts.messages import prm_prompt
from agentloop.prompts.replies import choice_of, reply_text
from agentloop.records import CallRole

FEATURES = datasets.Features({
    "prompt": datasets.Value("string"), "completions": datasets.List(datasets.Value("string")),
    "labels": datasets.List(datasets.Value("bool")), "role": datasets.Value("string"),
    "prompt_version": datasets.Value("string"), "origin": datasets.Value("string"),
    "episode_id": datasets.Value("string"), "step": datasets.Value("int64"), "candidate": datasets.Value("int64"),
    "success": datasets.Value("bool"),
})


def export(run: Run, out: Path) -> Path:
    rows: list[Row] = []
    for ep, moments in run_moments(run):
        for m in moments:
            label, call = label_of(ep, m), m.proposed.call
            if label is None or call is None:
                continue
            rows.append({
                "prompt": prm_prompt(m.ctx, m.ctx.feedback), "completions": [reply_text(choice_of(call, m.ctx.skills))],
                "labels": [label], "role": CallRole.PRM.value, "prompt_version": prompt_version(),
                "origin": Origin.RENDERED.value, "episode_id": ep.record.episode_id, "step": m.step.index,
                "candidate": m.candidate, "success": ep.record.success,
            })
    return write_parquet(rows, FEATURES, out, "prm")
