"""One row per model call, shaped for step-wise RL trainers: the call's role, its messages and
reply, its exact prompt and completion token ids and per-token log-probabilities (where the
backend gave them), its sampling settings and model, and beside it the step's reward
components and verdicts and the episode's outcome and advantages.

Where a scripted planner ran, its rows are the model planner's calls rendered at each step
(no tokens: no model ran); where a model ran, every call it made, planner and judges alike.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import datasets

from agentloop.exports.hf import Row, chat_features, write_parquet
from agentloop.exports.replay import Moment
from agentloop.exports.rows import CallRow, Origin, run_moments
from agentloop.exports.source import Episode, Run

_INTS, _FLOATS = datasets.List(datasets.Value("int64")), datasets.List(datasets.Value("float64"))
_STR, _F, _B, _I = datasets.Value("string"), datasets.Value("float64"), datasets.Value("bool"), datasets.Value("int64")


def _features(images: bool) -> datasets.Features:
    out: dict[str, datasets.features.FeatureType] = {
        "run_id": _STR, "episode_id": _STR, "task": _STR, "seed": _I, "rollout": _I, "step": _I, "candidate": _I,
        "attempt": _I, "role": _STR, "origin": _STR, "prompt_version": _STR, "model": _STR, "model_id": _STR,
        "model_revision": _STR, "messages": chat_features(images), "completion": _STR, "error": _STR,
        "prompt_token_ids": _INTS, "completion_token_ids": _INTS, "completion_logprobs": _FLOATS,
        "sampling": _STR, "executed": _B, "label": _B, "env_reward": _F, "progress": _F, "valid_action": _B,
        "critic_reward": _F, "validator_reward": _F, "critic_ok": _B, "critic_source": _STR, "validator_ok": _B,
        "validator_source": _STR, "step_reward": _F, "return": _F, "step_advantage": _F,
        "episode_success": _B, "episode_outcome": _STR, "episode_advantage": _F,
    }
    if images:
        out["images"] = datasets.List(datasets.Image())
    return datasets.Features(out)


def _calls(ep: Episode, moments: list[Moment]) -> Iterator[CallRow]:
    """Rendered planner calls per candidate, or every recorded call of every step."""
    if moments and moments[0].rendered:
        for m in moments:
            yield from (CallRow.of(ep, m, c) for c in m.calls)
        return
    for s in ep.steps:
        yield from (CallRow(ep, s, c, Origin.RECORDED) for c in s.model_calls)


def _call_columns(row: CallRow, images: bool) -> Row:
    c = row.call
    out: dict[str, object] = {
        "candidate": c.candidate, "attempt": c.attempt, "role": c.role.value, "origin": row.origin.value,
        "prompt_version": row.prompt_version, "model": c.model, "model_id": c.model_id,
        "model_revision": c.model_revision, "messages": row.prompt(images), "completion": c.raw, "error": c.error,
        "prompt_token_ids": c.prompt_token_ids, "completion_token_ids": c.completion_token_ids,
        "completion_logprobs": c.token_logprobs, "sampling": json.dumps(c.sampling, sort_keys=True),
        "executed": c.candidate is not None and c.candidate < len(row.step.candidates)
        and row.step.candidates[c.candidate].executed,
    }
    if images:
        out["images"] = row.frames()
    return out


def _step_columns(run: Run, ep: Episode, t: int, episode_advantage: float | None) -> Row:
    s, r = ep.steps[t], ep.rewards
    return {
        "run_id": run.manifest.run_id, "episode_id": ep.record.episode_id, "task": ep.record.task,
        "seed": ep.record.seed, "rollout": ep.record.rollout, "step": s.index, "label": s.label,
        "env_reward": s.rewards.env, "progress": s.progress, "valid_action": s.rewards.valid_action,
        "critic_reward": s.rewards.critic, "validator_reward": s.rewards.validator,
        "critic_ok": s.critic.ok if s.critic else None, "critic_source": s.critic.source.value if s.critic else None,
        "validator_ok": s.validator.ok if s.validator else None,
        "validator_source": s.validator.source.value if s.validator else None,
        "step_reward": r.step_reward[t], "return": r.returns[t], "step_advantage": ep.advantages.get(t),
        "episode_success": ep.record.success, "episode_outcome": ep.record.outcome.value,
        "episode_advantage": episode_advantage,
    }


def export(run: Run, out: Path) -> Path:
    images = run.options.images
    adv = {e.episode_id: e.episode_advantage for g in run.groups for e in g.episodes}
    rows: list[Row] = []
    for ep, moments in run_moments(run):
        position = {s.index: t for t, s in enumerate(ep.steps)}
        for row in _calls(ep, moments):
            step = _step_columns(run, ep, position[row.step.index], adv.get(ep.record.episode_id))
            rows.append({**step, **_call_columns(row, images)})
    return write_parquet(rows, _features(images), out, "stepwise")
