"""Every bundled MiniWoB++ task resets and takes a step; check_env and the scripted planner."""

from __future__ import annotations

import fnmatch
import os

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from agentloop.envs.web.env import WebEnv
from agentloop.envs.web.miniwob.tasks import task_names
from agentloop.perception import perception_of
from agentloop.registry import load_plugins

TASKS = task_names()


def test_all_tasks_registered():
    load_plugins()
    assert len(TASKS) > 100
    assert all(f"agentloop/miniwob.{t}" in gym.registry for t in TASKS)


def test_made_through_gymnasium_with_its_env_checker_on():
    load_plugins()
    env = gym.make("agentloop/miniwob.click-button")
    try:
        assert not gym.registry["agentloop/miniwob.click-button"].disable_env_checker
        obs, info = env.reset(seed=1)  # the passive checker looks at the first reset and step
        assert perception_of(info).task == "miniwob.click-button"
        obs, _, _, _, info = env.step("wait(ms=0)")
        assert env.observation_space.contains(obs) and perception_of(info).action_error is None
    finally:
        env.close()


# The full sweep (every bundled task, ~130 pages) takes minutes; the default suite sweeps a
# fixed sample across the families (forms, widgets, canvas, drag, long pages),
# AGENTLOOP_FULL_SWEEP=1 sweeps them all.
SWEEP = TASKS if os.environ.get("AGENTLOOP_FULL_SWEEP") else [
    t for t in TASKS if t in {
        "book-flight", "choose-date", "click-pie", "email-inbox", "grid-coordinate", "multi-layouts",
        "social-media", "terminal", "use-autocomplete", "use-slider",
    }
]


@pytest.mark.timeout(1800)
def test_every_task_resets_and_steps():
    assert len(SWEEP) >= 10
    failures = []
    for t in SWEEP:
        env = WebEnv(task="agentloop.envs.web.miniwob.tasks:make", task_kwargs={"task": t}, viewport=(400, 420))
        try:
            obs, info = env.reset(seed=3)
            assert obs["screenshot"].shape == (420, 400, 3)
            obs, r, term, trunc, info = env.step('wait(ms=50)')
            seen = perception_of(info)
            if seen.action_error is not None:
                failures.append(f"{t}: {seen.action_error}")
            if not seen.goal:
                failures.append(f"{t}: empty goal")
        except Exception as e:  # collect all, report once
            failures.append(f"{t}: {type(e).__name__}: {e}")
        finally:
            env.close()
    assert not failures, "\n".join(failures)


# stock-market: a ticker, on the virtual clock; order-food and click-dialog: icons that load after
# the start (an <img>; a style sheet's sprite).
# AGENTLOOP_FULL_SWEEP=1 checks every task.
CHECKED = TASKS if os.environ.get("AGENTLOOP_FULL_SWEEP") else ["enter-text", "stock-market", "order-food", "click-dialog"]


@pytest.mark.parametrize("task", CHECKED)
def test_check_env(task):
    env = WebEnv(task="agentloop.envs.web.miniwob.tasks:make", task_kwargs={"task": task}, viewport=(400, 420))
    try:
        check_env(env, skip_render_check=True)
    finally:
        env.close()


def test_a_page_that_moves_with_time_moves_only_when_stepped():
    env = WebEnv(task="agentloop.envs.web.miniwob.tasks:make", task_kwargs={"task": "chase-circle"}, viewport=(400, 420))
    try:
        first, _ = env.reset(seed=3)
        again, _ = env.reset(seed=3)
        assert np.array_equal(first["screenshot"], again["screenshot"]), "same seed, same first frame"
        still, *_ = env.step("wait(ms=0)")
        assert np.array_equal(still["screenshot"], first["screenshot"]), "no virtual time passed, nothing moved"
        moved, *_ = env.step("wait(ms=800)")
        assert not np.array_equal(moved["screenshot"], first["screenshot"]), "the circle moves as the clock runs"
        env.reset(seed=3)
        env.step("wait(ms=0)")
        replay, *_ = env.step("wait(ms=800)")
        assert np.array_equal(replay["screenshot"], moved["screenshot"]), "and moves the same way every time"
    finally:
        env.close()


def test_seeded_goal_and_reward_split():
    env = WebEnv(task="agentloop.envs.web.miniwob.tasks:make", task_kwargs={"task": "click-button"}, viewport=(400, 420))
    try:
        _, a = env.reset(seed=7)
        _, b = env.reset(seed=7)
        assert perception_of(a).goal == perception_of(b).goal
        want = perception_of(a).goal.split('"')[1]
        _, info = env.reset(seed=7)
        btn = next(n for n in perception_of(info).scene_graph.nodes if n.kind == "button" and n.name == want)
        _, r, term, _, info = env.step(f'click(element="{btn.id}")')
        seen = perception_of(info)
        assert term and seen.success and seen.extra["raw_reward"] == 1.0 and 0.0 < r <= 1.0
        assert seen.rewards.env == r
        for seed in range(8, 40):  # a layout with a second button to get wrong
            _, info = env.reset(seed=seed)
            seen = perception_of(info)
            want = seen.goal.split('"')[1]
            others = [n for n in seen.scene_graph.nodes if n.kind == "button" and n.name != want]
            if others:
                break
        wrong = others[0]
        _, r, term, _, info = env.step(f'click(element="{wrong.id}")')
        seen = perception_of(info)
        assert term and not seen.success and seen.extra["raw_reward"] == -1.0 and seen.progress == 0.0
    finally:
        env.close()


def test_claimed_tasks_exist_and_cover_80():
    """Every solver pattern names registered tasks (a typo would silently claim nothing), and
    the scripted planner claims at least 80 MiniWoB++ tasks (each measured at >= 90 % over 10
    episodes by benchmarks/web_tasks.py)."""
    from agentloop.envs.web.planner import WebPlanner
    from agentloop.envs.web.solving import solved_tasks

    load_plugins()
    WebPlanner()
    ids = [i.split("/", 1)[1] for i in gym.registry if i.startswith("agentloop/miniwob.")]
    patterns = [p for p in solved_tasks() if p.startswith("miniwob.")]
    unmatched = [p for p in patterns if not fnmatch.filter(ids, p)]
    assert not unmatched, unmatched
    claimed = {t for p in patterns for t in fnmatch.filter(ids, p)}
    assert len(claimed) >= 80, sorted(claimed)


def test_pages_decode_as_utf8_and_countdown_is_off():
    env = WebEnv(task="agentloop.envs.web.miniwob.tasks:make", task_kwargs={"task": "unicode-test"}, viewport=(400, 420))
    try:
        _, info = env.reset(seed=5)
        assert env.page.evaluate("() => document.characterSet") == "UTF-8"
        label = perception_of(info).goal.split('"')[1]
        assert any(n.kind == "button" and n.name == label for n in perception_of(info).scene_graph.nodes)
        # The countdown display would tick every second; with the timer off it stays blank,
        # so a frame does not depend on when it is taken.
        env.page.wait_for_timeout(1100)
        assert env.page.evaluate("() => document.getElementById('timer-countdown').textContent") == "-"
    finally:
        env.close()


# One task per kind of solver: forms, the screenshot (tree icons), hover menus, reading and
# feedback, an email app through its icons, a scrolling feed, a date picker, a slider by keys,
# and a click at a pixel; and seeds a solver once got wrong (use-autocomplete 31001: the only
# suggestion is the prefix itself, so picking it leaves the value as typed; email-inbox-nl-turk
# 9401: "Foward the email by Amanda to Arabel", whose misspelt verb was taken for the recipient;
# stock-market 32004: the price never goes below the bound, only to it, which the task counts;
# click-button 1023: buttons "okay" and "Okay"; email-inbox-forward-nl 1025: forward to Ann-Marie).
@pytest.mark.parametrize("task, seed", [
    *((t, 0) for t in ("login-user", "navigate-tree", "click-menu", "guess-number", "email-inbox-reply",
                       "social-media-all", "choose-date", "use-slider", "grid-coordinate")),
    ("use-autocomplete", 31001), ("email-inbox-nl-turk", 9401), ("stock-market", 32004),
    ("click-button", 1023), ("email-inbox-forward-nl", 1025),
])
def test_scripted_planner_solves(task, seed):
    from agentloop.calls import SkillCall
    from agentloop.context import Context, HistoryItem, call_targets
    from agentloop.envs.web.planner import WebPlanner

    env = WebEnv(task="agentloop.envs.web.miniwob.tasks:make", task_kwargs={"task": task}, viewport=(400, 420))
    planner = WebPlanner()
    try:
        # One episode each keeps the suite fast (seed 0 of navigate-tree needs folders opened);
        # success rates over many seeds are measured by benchmarks/web_tasks.py.
        obs, info = env.reset(seed=seed)
        hist: list[HistoryItem] = []
        planner.reset(Context.of(f"agentloop/miniwob.{task}", obs, info, env.skillset))
        for i in range(15):
            ctx = Context.of(f"agentloop/miniwob.{task}", obs, info, env.skillset, step=i, history=hist)
            action = planner.propose(ctx).action
            parsed = SkillCall.parse(action) if isinstance(action, str) else action
            targets = call_targets(parsed, ctx.scene)  # as the loop records them
            obs, _, term, _, info = env.step(action)
            error = perception_of(info).action_error
            hist.append(HistoryItem(index=i, action=str(parsed), action_error=str(error) if error else None,
                                    targets=targets))
            if term:
                break
        seen = perception_of(info)
        assert seen.success, (seen.goal, [h.action for h in hist])
    finally:
        env.close()
