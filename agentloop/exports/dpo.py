"""Step-wise preference pairs with images (TRL DPO, vision): at one perceived state, an
action that was rejected by the critic or failed the validator against the one that was
accepted and worked there (in the same step, the corrected next try, or another rollout of
the group that reached the same state)."""

from __future__ import annotations

from pathlib import Path

import datasets

from agentloop.exports.hf import chat_features, write_parquet
from agentloop.exports.source import Episode, Run, action_of, assistant_message, prompt_text, user_message
from agentloop.records import StepRecord

FEATURES = datasets.Features({
    "prompt": chat_features(), "chosen": chat_features(), "rejected": chat_features(),
    "images": datasets.List(datasets.Image()), "source": datasets.Value("string"),
    "episode_id": datasets.Value("string"), "step": datasets.Value("int64"),
    "state_key": datasets.Value("string"),
})


def _good(s: StepRecord) -> bool:
    return s.label is True and action_of(s) is not None


def export(run: Run, out: Path) -> Path:
    episodes = run.episodes()
    # The accepted, working action per (task, seed, state): the "chosen" side of a pair.
    worked: dict[tuple[str, int, str], tuple[Episode, StepRecord]] = {}
    for ep in episodes:
        for s in ep.steps:
            if s.state_key and _good(s):
                worked.setdefault((ep.record.task, ep.record.seed, s.state_key), (ep, s))
    rows, seen = [], set()

    def add(ep: Episode, at: StepRecord, chosen: str, rejected: str, source: str) -> None:
        image = ep.image(at.frame)
        key = (at.state_key, chosen, rejected)
        if image is None or chosen == rejected or key in seen:
            return
        seen.add(key)
        rows.append({
            "prompt": [user_message(prompt_text(ep, at))], "chosen": [assistant_message(chosen)],
            "rejected": [assistant_message(rejected)], "images": [image], "source": source,
            "episode_id": ep.record.episode_id, "step": at.index, "state_key": at.state_key,
        })

    for ep in episodes:
        for s in ep.steps:
            good = worked.get((ep.record.task, ep.record.seed, s.state_key or ""))
            chosen = action_of(s) if _good(s) else (action_of(good[1]) if good else None)
            if chosen is None:
                continue
            for c in s.candidates:  # critic-rejected or failing candidates at this state
                if not c.executed and ((c.verdict and not c.verdict.ok) or c.action_error):
                    add(ep, s, chosen, c.text, "critic_rejected")
            if not _good(s) and action_of(s) is not None:
                source = "validator_failed" if s.validator and not s.validator.ok else "failed_action"
                add(ep, s, chosen, action_of(s), source)
    return write_parquet(rows, FEATURES, out, "dpo")
