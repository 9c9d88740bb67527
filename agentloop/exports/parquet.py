"""One row per step, frames as images: `datasets.load_dataset("parquet", data_files=...)`."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Literal

import datasets

from agentloop.exports.hf import Row, write_parquet
from agentloop.exports.source import Episode, Run, action_of
from agentloop.records import StepRecord

FEATURES = datasets.Features({
    "run_id": datasets.Value("string"), "episode_id": datasets.Value("string"),
    "env_id": datasets.Value("string"), "task": datasets.Value("string"),
    "seed": datasets.Value("int64"), "rollout": datasets.Value("int64"), "step": datasets.Value("int64"),
    "goal": datasets.Value("string"), "text_view": datasets.Value("string"),
    "scene_graph": datasets.Value("string"), "state_key": datasets.Value("string"),
    "action": datasets.Value("string"), "action_error": datasets.Value("string"),
    "action_error_kind": datasets.Value("string"),
    "valid_action": datasets.Value("bool"), "env_reward": datasets.Value("float64"),
    "progress": datasets.Value("float64"), "critic_ok": datasets.Value("bool"),
    "critic_score": datasets.Value("float64"), "critic_source": datasets.Value("string"),
    "validator_ok": datasets.Value("bool"), "validator_source": datasets.Value("string"),
    "label": datasets.Value("bool"), "success": datasets.Value("bool"),
    "terminated": datasets.Value("bool"), "truncated": datasets.Value("bool"),
    "episode_success": datasets.Value("bool"),
    "logprob_sum": datasets.Value("float64"), "mean_entropy": datasets.Value("float64"),
    "human_feedback": datasets.Value("string"), "candidates": datasets.Value("int64"),
    "contribution": datasets.Value("float64"), "step_reward": datasets.Value("float64"),
    "return": datasets.Value("float64"), "advantage": datasets.Value("float64"),
    "frame": datasets.Image(), "frame_after": datasets.Image(),
})


def _model_sum(step: StepRecord, key: Literal["logprob_sum", "mean_entropy"]) -> float | None:
    """Over the step's model calls: the sum of log-probabilities, or the mean entropy."""
    vals = [v for c in step.model_calls if (v := getattr(c, key)) is not None]
    if not vals:
        return None
    return sum(vals) if key == "logprob_sum" else sum(vals) / len(vals)


def _value(member: Enum | None) -> str | None:
    return member.value if member is not None else None


def _row(run: Run, ep: Episode, t: int, s: StepRecord) -> Row:
    r = ep.rewards
    return {
        "run_id": run.manifest.run_id, "episode_id": ep.record.episode_id,
        "env_id": ep.record.env_id, "task": ep.record.task, "seed": ep.record.seed,
        "rollout": ep.record.rollout, "step": s.index, "goal": ep.record.goal,
        "text_view": s.text_view,
        "scene_graph": json.dumps(s.scene_graph) if s.scene_graph is not None else None,
        "state_key": s.state_key, "action": action_of(s), "action_error": s.action_error,
        "action_error_kind": _value(s.action_error_kind),
        "valid_action": r.valid[t], "env_reward": s.rewards.env, "progress": s.progress,
        "critic_ok": s.critic.ok if s.critic else None,
        "critic_score": s.critic.score if s.critic else None,
        "critic_source": s.critic.source.value if s.critic else None,
        "validator_ok": s.validator.ok if s.validator else None,
        "validator_source": s.validator.source.value if s.validator else None, "label": s.label,
        "success": s.success, "terminated": s.terminated, "truncated": s.truncated,
        "episode_success": ep.record.success,
        "logprob_sum": _model_sum(s, "logprob_sum"), "mean_entropy": _model_sum(s, "mean_entropy"),
        "human_feedback": s.human_feedback, "candidates": len(s.candidates),
        "contribution": r.contribution[t], "step_reward": r.step_reward[t],
        "return": r.returns[t], "advantage": ep.advantages.get(t),
        "frame": ep.image(s.frame), "frame_after": ep.image(s.frame_after),
    }


def export(run: Run, out: Path) -> Path:
    rows = [_row(run, ep, t, s) for ep in run.episodes() for t, s in enumerate(ep.steps)]
    return write_parquet(rows, FEATURES, out, "steps")
