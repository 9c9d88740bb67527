"""Chat messages with images for TRL's SFT trainer: the steps whose action ran, was valid
and passed the validator, as (user: frame + prompt, assistant: action)."""

from __future__ import annotations

from pathlib import Path

import datasets

from agentloop.exports.hf import chat_features, write_parquet
from agentloop.exports.source import Run, action_of, assistant_message, prompt_text, user_message

FEATURES = datasets.Features({
    "messages": chat_features(), "images": datasets.List(datasets.Image()),
    "episode_id": datasets.Value("string"), "step": datasets.Value("int64"),
})


def export(run: Run, out: Path) -> Path:
    rows = []
    for ep in run.episodes():
        for s in ep.steps:
            action, image = action_of(s), ep.image(s.frame)
            if s.label is not True or action is None or image is None:
                continue
            rows.append({
                "messages": [user_message(prompt_text(ep, s)), assistant_message(action)],
                "images": [image], "episode_id": ep.record.episode_id, "step": s.index,
            })
    return write_parquet(rows, FEATURES, out, "sft")
