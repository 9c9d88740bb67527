"""A MiniWoB episode's reward is a function of its seed and actions: however long the planner
takes between reset and its last action, the same clicks earn the same reward."""

from __future__ import annotations

import time

import pytest

from agentloop.envs.web.env import WebEnv
from agentloop.perception import perception_of

SEED = 7
SLOW_S = 60.0  # far past MiniWoB's 10 s window, in which a time-scaled reward falls to 0


def _solve(env: WebEnv, later: list[float]) -> tuple[float, dict]:
    """Reset, find the button the goal names, then (after `later[0]` is set: the model "thinks")
    click it; the step's reward and what the env reported."""
    later[0] = 0.0
    _, info = env.reset(seed=SEED)
    seen = perception_of(info)
    want = seen.goal.split('"')[1]
    btn = next(n for n in seen.scene_graph.nodes if n.kind == "button" and n.name == want)
    later[0] = SLOW_S
    _, reward, term, _, info = env.step(f'click(element="{btn.id}")')
    later[0] = 0.0
    assert term
    return float(reward), info


def test_slow_planner_earns_what_a_fast_one_does(monkeypatch: pytest.MonkeyPatch):
    # Moving the clocks a task could read stands in for a slow model: no test waits a minute.
    later = [0.0]
    real_perf, real_time = time.perf_counter, time.time
    monkeypatch.setattr(time, "perf_counter", lambda: real_perf() + later[0])
    monkeypatch.setattr(time, "time", lambda: real_time() + later[0])
    env = WebEnv(task="agentloop.envs.web.miniwob.tasks:make", task_kwargs={"task": "click-button"},
                 viewport=(400, 420))
    try:
        slow, info = _solve(env, later)
        seen = perception_of(info)
        assert seen.success and seen.extra["raw_reward"] == 1.0
        assert slow == 1.0 == seen.rewards.env, f"a slow solve earned {slow}"
        monkeypatch.setattr(time, "perf_counter", real_perf)
        monkeypatch.setattr(time, "time", real_time)
        fast, _ = _solve(env, later)
        assert fast == slow
    finally:
        env.close()
