"""Per-episode rewards: progress deltas, SPA-style attribution, grounding, returns, G-RA gating."""

from __future__ import annotations

from collections.abc import Sequence

from agentloop.records import EpisodeRecord, StepRecord
from agentloop.rewards.models import EpisodeRewards, RewardConfig


def progress_curve(steps: Sequence[StepRecord]) -> list[float]:
    """Progress after each step; a step without a measurement keeps the last known value."""
    out, last = [], 0.0
    for s in steps:
        p = s.progress if s.progress is not None else s.rewards.progress
        if p is not None:
            last = float(p)
        out.append(last)
    return out


def deltas(progress: Sequence[float], start: float = 0.0) -> list[float]:
    prev, out = start, []
    for p in progress:
        out.append(p - prev)
        prev = p
    return out


def attribute(delta: Sequence[float], outcome: float) -> list[float]:
    """Per-step contributions that sum to `outcome`.

    Each step keeps its measured progress delta; what the deltas do not explain (the outcome
    minus their sum) is spread evenly, so steps that made measurable progress get more credit
    and the total always equals the outcome.
    """
    n = len(delta)
    if n == 0:
        return []
    residual = (outcome - sum(delta)) / n
    contrib = [d + residual for d in delta]
    # Put the floating-point rounding left over on the last step so the sum is exact.
    contrib[-1] += outcome - sum(contrib)
    return contrib


def discounted(rewards: Sequence[float], gamma: float) -> list[float]:
    out, g = [0.0] * len(rewards), 0.0
    for t in range(len(rewards) - 1, -1, -1):
        g = rewards[t] + gamma * g
        out[t] = g
    return out


def episode_outcome(record: EpisodeRecord) -> float:
    return 1.0 if record.success else 0.0


def compute_episode(
    record: EpisodeRecord, steps: Sequence[StepRecord], config: RewardConfig | None = None
) -> EpisodeRewards:
    config = config or RewardConfig()
    outcome = episode_outcome(record)
    progress = progress_curve(steps)
    delta = deltas(progress)
    contrib = attribute(delta, outcome)
    valid = [bool(s.rewards.valid_action and s.action_error is None) for s in steps]
    step_reward = [config.alpha * c + config.beta * float(v) for c, v in zip(contrib, valid)]
    gated = (
        [0.0] * len(step_reward)
        if config.gate_threshold is not None and outcome < config.gate_threshold
        else list(step_reward)
    )
    return EpisodeRewards(
        episode_id=record.episode_id, task=record.task, seed=record.seed, config=config,
        outcome=outcome, progress=progress, progress_delta=delta, contribution=contrib,
        valid=valid, step_reward=step_reward, gated_reward=gated,
        returns=discounted(gated, config.gamma), label=[s.label for s in steps],
        state_key=[s.state_key for s in steps],
    )
