"""`agentloop serve --workers 2`: two processes behind one port whose sessions are counted
together: `/sessions` and the `--max-sessions` refusal are the whole server's whichever worker
answers, a session plays on the worker that took it, and both record into one run folder,
numbering the rollouts of a seed in the order they start, as one process does."""

from __future__ import annotations

import contextlib
import time

import pytest
from openenv.core.generic_client import GenericEnvClient

from agentloop.recording import RunDir
from tests.serve.helpers import active_sessions, server

TOY = "agentloop/toy.switches"


def _goal_lamps(goal: str) -> list[str]:
    return [w.strip(",.") for w in goal.replace(" and ", " ").split() if w.startswith("lamp_")]


def test_two_workers_count_their_sessions_together(tmp_path):
    run_dir = tmp_path / "run"
    with server(TOY, "--workers", "2", "--max-sessions", "3", "--record", str(run_dir)) as url, \
            contextlib.ExitStack() as stack:
        clients = [stack.enter_context(GenericEnvClient(base_url=url, connect_timeout_s=60).sync()) for _ in range(3)]
        for client in clients:  # every session plays its whole episode on the worker that took it
            result = client.reset(seed=7)
            for lamp in _goal_lamps(result.observation["goal"]):
                result = client.step({"action": f'switch_on(lamp="{lamp}")'})
            assert result.done and result.observation["success"]
        assert {active_sessions(url) for _ in range(8)} == {3}  # whichever worker answers
        with pytest.raises(ConnectionError, match="503"):
            GenericEnvClient(base_url=url, connect_timeout_s=60).sync().connect()
        clients[0].close()
        deadline = time.monotonic() + 60
        while active_sessions(url) != 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert active_sessions(url) == 2
        with GenericEnvClient(base_url=url, connect_timeout_s=60).sync() as again:
            assert not again.reset(seed=8).done
    episodes = [rec for _, rec in RunDir(run_dir).episodes()]
    ids = sorted(rec.episode_id for rec in episodes if rec.seed == 7)  # numbered as one process numbers them
    assert ids == [f"toy.switches__s00007__r0{n}" for n in range(3)]
    assert all(rec.success for rec in episodes if rec.seed == 7)
