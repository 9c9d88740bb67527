"""Members of a group start from the same state: two sessions, each with its own env, reset
to one seed see the same text, scene graph, state key and frame, in every family. The site's
tasks change a database: each session has its own, and a reset restores the seed's."""

from __future__ import annotations

import numpy as np
import pytest

from agentloop import registry
from agentloop.integrations import Session, Turn
from agentloop.plugins import load_object
from agentloop.records import RunConfig

SEED = 11


def _same_start(a: Turn, b: Turn) -> None:
    assert a.perception.scene_graph is not None and b.perception.scene_graph is not None
    assert a.context.text == b.context.text  # a site session's own server (port) never shows
    assert a.perception.scene_graph.model_dump_json() == b.perception.scene_graph.model_dump_json()
    assert a.perception.scene_graph.state_key() == b.perception.scene_graph.state_key()
    assert np.array_equal(a.context.frame, b.context.frame)


@pytest.mark.parametrize("env_id", ["agentloop/toy.switches", "agentloop/robot.pick-place",
                                    "agentloop/miniwob.click-button"])
def test_a_seed_gives_every_session_the_same_start(env_id):
    a, b = Session(RunConfig(env_id=env_id)), Session(RunConfig(env_id=env_id))
    try:
        first = a.reset(SEED)
        a.act("wait()" if "wait" in a.skillset() else "look(at=\"table\")")
        _same_start(first, b.reset(SEED))
        _same_start(first, a.reset(SEED))  # after an episode has moved things: the same start again
    finally:
        a.close()
        b.close()


def _database(session: Session) -> dict[str, list[tuple]]:
    task = session.env().unwrapped.task
    tables = [r[0] for r in task.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    return {t: [tuple(r) for r in task.query(f"SELECT * FROM {t} ORDER BY rowid")] for t in tables}


def test_site_sessions_have_their_own_database_and_a_reset_restores_it():
    env_id = "agentloop/site.delete_address"
    a, b = Session(RunConfig(env_id=env_id)), Session(RunConfig(env_id=env_id))
    try:
        start = a.reset(SEED)
        seeded = _database(a)
        _same_start(start, b.reset(SEED))
        assert _database(b) == seeded
        planner = load_object(registry.scripted_planner(a.env()))()
        planner.reset(start.context)
        turn = start
        for _ in range(12):  # the scripted planner deletes the address the goal names
            turn = a.act(planner.propose(turn.context).action)
            if turn.done:
                break
        assert turn.done and turn.episode is not None and turn.episode.success
        assert _database(a) != seeded and _database(b) == seeded  # a's deletion stayed in a's database
        _same_start(start, a.reset(SEED))
        assert _database(a) == seeded
    finally:
        a.close()
        b.close()
