from __future__ import annotations

import json
import math
from datetime import datetime, timezone

from hypothesis import given
from hypothesis import strategies as st

from agentloop.records import EpisodeRecord, Outcome, RewardComponents, StepRecord
from agentloop.rewards import EPISODE_FILE, GROUPS_FILE, RewardConfig, attribute, compute_episode, derive_run, gigpo

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _episode(eid: str, success: bool, keys: list[str], progress: list[float], valid: list[bool] | None = None):
    valid = valid or [True] * len(keys)
    rec = EpisodeRecord(episode_id=eid, env_id="agentloop/toy.switches", task="toy.switches", seed=0,
                        outcome=Outcome.SUCCESS if success else Outcome.FAILURE, success=success,
                        started_at=T0, ended_at=T0)
    steps = [StepRecord(episode_id=eid, index=i, started_at=T0, ended_at=T0, state_key=k, progress=p,
                        rewards=RewardComponents(progress=p, valid_action=v))
             for i, (k, p, v) in enumerate(zip(keys, progress, valid))]
    return rec, steps


@given(st.lists(st.floats(-1, 1, allow_nan=False), min_size=1, max_size=40), st.sampled_from([0.0, 1.0]))
def test_attribution_sums_to_outcome(delta, outcome):
    assert abs(sum(attribute(delta, outcome)) - outcome) <= 1e-6


@given(st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=30), st.booleans())
def test_episode_contributions_sum_and_reward_formula(progress, success):
    rec, steps = _episode("e", success, [f"k{i}" for i in range(len(progress))], progress)
    cfg = RewardConfig(alpha=0.7, beta=0.2, gamma=0.9)
    r = compute_episode(rec, steps, cfg)
    assert abs(sum(r.contribution) - (1.0 if success else 0.0)) <= 1e-6
    assert all(math.isclose(rt, 0.7 * c + 0.2) for rt, c in zip(r.step_reward, r.contribution))
    # returns satisfy G_t = r_t + gamma * G_{t+1}
    for t in range(len(progress) - 1):
        assert math.isclose(r.returns[t], r.gated_reward[t] + 0.9 * r.returns[t + 1], abs_tol=1e-9)


def test_attribution_keeps_progress_deltas_and_grounding():
    rec, steps = _episode("e", True, ["a", "b", "c"], [0.5, 0.5, 1.0], valid=[True, False, True])
    r = compute_episode(rec, steps, RewardConfig(alpha=1.0, beta=0.5, gamma=1.0))
    assert r.progress_delta == [0.5, 0.0, 0.5]
    assert r.contribution == [0.5, 0.0, 0.5]  # deltas already sum to the outcome
    assert r.step_reward == [1.0, 0.0, 1.0]
    assert r.returns == [2.0, 1.0, 1.0]


def test_outcome_gating_zeroes_failed_episodes():
    rec, steps = _episode("e", False, ["a", "b"], [0.5, 0.5])
    r = compute_episode(rec, steps, RewardConfig(gate_threshold=0.5))
    assert r.step_reward != [0.0, 0.0] and r.gated_reward == [0.0, 0.0] and r.returns == [0.0, 0.0]
    assert compute_episode(*_episode("e", True, ["a"], [1.0]), RewardConfig(gate_threshold=0.5)).gated_reward != [0.0]


def test_gigpo_matches_hand_computed_example():
    cfg = RewardConfig(alpha=1.0, beta=0.0, gamma=0.5, omega=0.5)
    # Three rollouts of one task and seed. All start in state S; A and B reach state T.
    a = compute_episode(*_episode("A", True, ["S", "T"], [0.0, 1.0]), cfg)   # r = [0, 1]
    b = compute_episode(*_episode("B", False, ["S", "T"], [0.0, 0.0]), cfg)  # r = [0, 0]
    c = compute_episode(*_episode("C", False, ["S"], [0.0]), cfg)            # r = [0]
    assert a.returns == [0.5, 1.0] and b.returns == [0.0, 0.0] and c.returns == [0.0]
    g = gigpo([a, b, c], cfg)
    # Episode level: outcomes [1, 0, 0], mean 1/3, population std sqrt(2)/3.
    std = math.sqrt(2) / 3
    ea = [(1 - 1 / 3) / std, (0 - 1 / 3) / std, (0 - 1 / 3) / std]  # [1.41421, -0.70711, -0.70711]
    assert [round(e.episode_advantage, 5) for e in g.episodes] == [round(x, 5) for x in ea]
    # Anchor S: returns [0.5, 0, 0] -> mean 1/6, std sqrt(2)/6 -> [1.41421, -0.70711, -0.70711]
    # Anchor T: returns [1.0, 0.0] -> mean 0.5, std 0.5 -> [1, -1]
    A, B, C = g.episodes
    assert math.isclose(A.steps[0].step_advantage, math.sqrt(2), rel_tol=1e-9)
    assert math.isclose(B.steps[0].step_advantage, -1 / math.sqrt(2), rel_tol=1e-9)
    assert math.isclose(A.steps[1].step_advantage, 1.0) and math.isclose(B.steps[1].step_advantage, -1.0)
    assert (A.steps[0].anchor_size, A.steps[1].anchor_size, C.steps[0].anchor_size) == (3, 2, 3)
    # Combined: A_E + omega * A_S
    assert math.isclose(A.steps[1].advantage, ea[0] + 0.5 * 1.0)
    assert math.isclose(C.steps[0].advantage, ea[2] + 0.5 * (-1 / math.sqrt(2)))


def test_run_has_derived_files_beside_raw_log(toy_run):
    for ep in (toy_run / "episodes").iterdir():
        if ep.is_dir() and not ep.name.startswith("."):
            data = json.loads((ep / EPISODE_FILE).read_text())
            assert abs(sum(data["contribution"]) - data["outcome"]) <= 1e-6
    lines = (toy_run / GROUPS_FILE).read_text().splitlines()
    assert len(lines) == 2 and all(len(json.loads(x)["episodes"]) == 3 for x in lines)
    groups = derive_run(toy_run)
    assert all(abs(sum(e.episode_advantage for e in g.episodes)) < 1e-9 for g in groups)
