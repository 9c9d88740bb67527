"""Step-wise preference pairs with images (TRL DPO, vision): at one perceived state, an
action that was rejected by the critic or failed the validator against the one that was
accepted and worked there (in the same step, the corrected next try, or another rollout of
the group that reached the same state)."""

from __future__ import annotations

from pathlib import Path

import datasets

from agentloop.exports.hf import Row, chat_features, write_parquet
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


State = tuple[str, int, str]  # task, seed, state key


def _worked(episodes: list[Episode]) -> dict[State, StepRecord]:
    """The first accepted, working step per perceived state: the "chosen" side of a pair."""
    worked: dict[State, StepRecord] = {}
    for ep in episodes:
        for s in ep.steps:
            if s.state_key and _good(s):
                worked.setdefault((ep.record.task, ep.record.seed, s.state_key), s)
    return worked


def _pairs(s: StepRecord, chosen: str) -> list[tuple[str, str]]:
    """(rejected action, source) at this step: candidates the critic rejected or that were
    malformed, and the executed action itself when it failed."""
    out = [(c.text, "critic_rejected") for c in s.candidates
           if not c.executed and ((c.verdict is not None and not c.verdict.ok) or c.action_error)]
    ran = action_of(s)
    if not _good(s) and ran is not None:
        out.append((ran, "validator_failed" if s.validator is not None and not s.validator.ok else "failed_action"))
    return [(rejected, source) for rejected, source in out if rejected != chosen]


def export(run: Run, out: Path) -> Path:
    episodes = run.episodes()
    worked = _worked(episodes)
    rows: list[Row] = []
    seen: set[tuple[str | None, str, str]] = set()
    for ep in episodes:
        for s in ep.steps:
            good = worked.get((ep.record.task, ep.record.seed, s.state_key or ""))
            chosen = action_of(s) if _good(s) else (action_of(good) if good else None)
            image = ep.image(s.frame)
            if chosen is None or image is None:
                continue
            for rejected, source in _pairs(s, chosen):
                if (s.state_key, chosen, rejected) in seen:
                    continue
                seen.add((s.state_key, chosen, rejected))
                rows.append({
                    "prompt": [user_message(prompt_text(ep, s))], "chosen": [assistant_message(chosen)],
                    "rejected": [assistant_message(rejected)], "images": [image], "source": source,
                    "episode_id": ep.record.episode_id, "step": s.index, "state_key": s.state_key,
                })
    return write_parquet(rows, FEATURES, out, "dpo")
