"""Step-wise preference pairs (TRL DPO, with images where the prompts show frames): at one
perceived state, a candidate the critic refused, a malformed one or an action that failed,
against the action that was accepted and worked there (in the same step, the corrected next
try, or another rollout of the group that reached the same state).

A pair's prompt is the planner call that produced the rejected candidate, recorded or rendered
by the same rule as the SFT rows; its rejected side is that call's reply, its chosen side the
same reply with the decision replaced by the working action.
"""

from __future__ import annotations

from pathlib import Path

import datasets

from agentloop.calls import SkillCall
from agentloop.errors import ActionError
from agentloop.exports.hf import Row, chat_features, row_features, write_parquet
from agentloop.exports.replay import Moment
from agentloop.exports.rows import final_row, run_moments
from agentloop.exports.sft import provenance
from agentloop.exports.source import Episode, Run, action_of
from agentloop.prompts.replies import choice_of, with_decision
from agentloop.records import StepRecord

State = tuple[str, int, str]  # task, seed, state key


def _good(s: StepRecord) -> bool:
    return s.label is True and action_of(s) is not None


def _worked(episodes: list[tuple[Episode, list[Moment]]]) -> dict[State, str]:
    """The first accepted, working action per perceived state: the "chosen" side of a pair."""
    worked: dict[State, str] = {}
    for ep, _ in episodes:
        for s in ep.steps:
            if s.state_key and _good(s):
                worked.setdefault((ep.record.task, ep.record.seed, s.state_key), action_of(s) or "")
    return worked


def _source(m: Moment) -> str | None:
    """Why the candidate is the rejected side of a pair, or None when it is not."""
    cand, s = m.proposed, m.step
    if not cand.executed:
        refused = (cand.verdict is not None and not cand.verdict.ok) or cand.action_error
        return "critic_rejected" if refused else None
    if _good(s):
        return None
    return "validator_failed" if s.validator is not None and not s.validator.ok else "failed_action"


def _pair(ep: Episode, m: Moment, chosen: str, images: bool) -> Row | None:
    row, source = final_row(ep, m), _source(m)
    if row is None or source is None or m.proposed.text == chosen:
        return None
    try:
        chosen_call = SkillCall.parse(chosen, m.ctx.skills or None)
    except ActionError:
        return None
    return {"prompt": row.prompt(images), "rejected": [row.reply(images)],
            "chosen": [row.reply(images, with_decision(row.role, row.call.raw, choice_of(chosen_call, m.ctx.skills)))],
            "source": source, "state_key": m.step.state_key, **provenance(row, images)}


def export(run: Run, out: Path) -> Path:
    images = run.options.images
    episodes = list(run_moments(run))
    worked = _worked(episodes)
    rows: list[Row] = []
    seen: set[tuple[str | None, str, str]] = set()
    for ep, moments in episodes:
        for m in moments:
            s = m.step
            chosen = action_of(s) if _good(s) else worked.get((ep.record.task, ep.record.seed, s.state_key or ""))
            pair = _pair(ep, m, chosen, images) if chosen else None
            if pair is None or (key := (s.state_key, str(pair["chosen"]), str(pair["rejected"]))) in seen:
                continue
            seen.add(key)
            rows.append(pair)
    chat = chat_features(images)
    features = row_features(images, prompt=chat, chosen=chat, rejected=chat, source=datasets.Value("string"),
                            state_key=datasets.Value("string"))
    return write_parquet(rows, features, out, "dpo")
