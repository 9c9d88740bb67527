"""`environment_factory(servers=...)` against a running `agentloop serve`, beside the in-process
factory on the same seeds and the same tool calls: the same tools, answers (frames included),
rewards, step records and recorded runs."""

from __future__ import annotations

import inspect

import numpy as np

from agentloop.integrations.trl import environment_factory
from agentloop.runner.replay import compare_runs
from tests.serve.helpers import server

TOY = "agentloop/toy.switches"


def _goal_lamps(text: str) -> list[str]:
    return [w for w in text.split("\n")[0].replace(" and ", " ").split() if w.startswith("lamp_")]


def _plain(content):
    """An answer with its image as an array, so two answers compare by their pixels."""
    if isinstance(content, str):
        return content
    return [np.asarray(part["image"]) if part["type"] == "image" else part for part in content]


def _same(a, b) -> bool:
    pa, pb = _plain(a), _plain(b)
    if isinstance(pa, str) or isinstance(pb, str):
        return pa == pb
    return len(pa) == len(pb) and all(
        (x == y).all() if isinstance(x, np.ndarray) else x == y for x, y in zip(pa, pb, strict=True))


def _rollouts(env) -> list:
    """The same calls on any env of the factory: whole, rejected, malformed and cut-short rollouts."""
    out = []
    for seed, whole in ((2, True), (9, True), (4, False), (2, True)):
        answer = env.reset(seed=seed)
        out.append(answer)
        lamps = _goal_lamps(answer[1]["text"])
        out.append(env.switch_off(lamp=lamps[0]))  # rejected by the critic: nothing runs
        out.append(env.switch_on(lamp=lamps[0], colour="red"))  # a bad argument: an answer, not an error
        for lamp in lamps if whole else lamps[:1]:
            out.append(env.switch_on(lamp=lamp))
        if whole:
            out.append(env.wait())  # after the end: no step
        out.append((env.get_reward(), env.spec, env.episode.outcome, [s.label for s in env.steps]))
    return out


def test_remote_rollouts_are_the_in_process_ones(tmp_path):
    local_cls = environment_factory(TOY, reward="gated", record=tmp_path / "local")
    with server(TOY, "--workers", "1", "--record", str(tmp_path / "served")) as url:
        remote_cls = environment_factory(TOY, reward="gated", servers=[url])
        assert remote_cls.__name__ == local_cls.__name__ and remote_cls.skills.names() == local_cls.skills.names()
        for name in local_cls.skills.names():  # the same tool schemas
            assert inspect.signature(getattr(remote_cls, name)) == inspect.signature(getattr(local_cls, name))
            assert getattr(remote_cls, name).__doc__ == getattr(local_cls, name).__doc__
        local_env, remote_env = local_cls(), remote_cls()
        local, remote = _rollouts(local_env), _rollouts(remote_env)
        remote_env._remote.close()
    assert len(local) == len(remote)
    for i, (a, b) in enumerate(zip(local, remote, strict=True)):
        assert _same(a, b) if not isinstance(a, tuple) else a == b, f"answer {i} differs: {a!r} != {b!r}"
    rewards = [a[0] for a in local if isinstance(a, tuple)]
    assert rewards[0] > 1.0 and rewards[2] == 0.0  # gated: success with step signals; cut short: nothing
    local_env._session.close()
    assert local_cls.recorder is not None
    local_cls.recorder.close()
    assert compare_runs(tmp_path / "local", tmp_path / "served") == []
