"""The session's episodes keep the loop's own rules: a step limit that counts refused calls
too, an env that crashes ends its episode as an error and is rebuilt for the next, and an
episode the policy abandons lands as truncated."""

from __future__ import annotations

import pytest

from agentloop.errors import AgentLoopError
from agentloop.integrations import RolloutRecorder, Session
from agentloop.recording import RunDir, read_steps
from agentloop.records import Outcome, RunConfig

TOY = "agentloop/toy.switches"


def test_the_step_limit_counts_every_call():
    session = Session(RunConfig(env_id=TOY, max_steps=3))
    session.reset(1)
    turns = [session.act("switch_off(lamp=\"lamp_0\")") for _ in range(3)]  # each one rejected
    assert [t.step.critic.ok for t in turns] == [False, False, False]
    assert turns[-1].done and turns[-1].episode.outcome is Outcome.TRUNCATED
    assert turns[-1].episode.steps == 3 and turns[-1].episode.critic_rejections == 3
    session.close()


def test_a_crashed_env_ends_its_episode_and_is_rebuilt():
    session = Session(RunConfig(env_id=TOY, env_kwargs={"crash_on_seed": 7}))
    env_before = session.env()
    session.reset(7)
    turn = session.act("wait()")
    assert turn.done and turn.episode.outcome is Outcome.ERROR and "crashed" in (turn.step.action_error or "")
    assert session.env() is not env_before  # dropped, a fresh one made
    assert not session.reset(8).done and not session.act("wait()").done
    session.close()


def test_an_abandoned_episode_lands_truncated(tmp_path):
    config = RunConfig(env_id=TOY)
    recorder = RolloutRecorder(tmp_path / "run", config)
    session = Session(config, recorder)
    with pytest.raises(AgentLoopError, match="reset"):
        session.act("wait()")
    session.reset(3)
    session.act("wait()")
    session.reset(3)  # the first rollout lands as truncated; a second one starts
    record = session.finish()
    assert record is not None and record.rollout == 1
    recorder.close()
    episodes = list(RunDir(tmp_path / "run").episodes())
    assert [(rec.rollout, rec.outcome, rec.steps) for _, rec in episodes] == [
        (0, Outcome.TRUNCATED, 1), (1, Outcome.TRUNCATED, 0)]
    assert [s.action_text for s in read_steps(episodes[0][0])] == ["wait()"]
    session.close()
