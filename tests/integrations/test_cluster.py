"""Sessions spread over a local Ray cluster of two nodes: one `agentloop serve` per node, the
remote factory's rollouts balanced across them, each playing its episode to the end."""

from __future__ import annotations

import httpx
import pytest

from agentloop.errors import ConfigError
from agentloop.serve.cluster import serve_args, serve_on_ray

ray = pytest.importorskip("ray")
from ray.cluster_utils import Cluster  # noqa: E402

TOY = "agentloop/toy.switches"


def _goal_lamps(text: str) -> list[str]:
    return [w for w in text.split("\n")[0].replace(" and ", " ").split() if w.startswith("lamp_")]


def _active(url: str, token: str) -> int:
    got = httpx.get(f"{url}/sessions", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    return int(got.json()["active_sessions"])


@pytest.fixture
def two_nodes():
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    cluster.add_node(num_cpus=1)
    ray.init(address=cluster.address, log_to_driver=False)
    try:
        cluster.wait_for_nodes()
        yield cluster
    finally:
        ray.shutdown()
        cluster.shutdown()


def test_sessions_spread_over_the_nodes(two_nodes):
    servers = serve_on_ray(TOY, workers=1, max_sessions=2, frames=False)
    try:
        assert len(servers.urls) == len(set(servers.urls)) == 2  # one server per node
        with pytest.raises(httpx.HTTPStatusError):  # beyond loopback: guarded
            httpx.get(f"{servers.urls[0]}/sessions", timeout=10).raise_for_status()
        cls = servers.factory(frames=False)
        envs = [cls() for _ in range(4)]
        goals = [env.reset(seed=3 + i) for i, env in enumerate(envs)]
        assert [_active(url, servers.token) for url in servers.urls] == [2, 2]  # the freest server each time
        for env, goal in zip(envs, goals, strict=True):
            for lamp in _goal_lamps(goal):
                env.switch_on(lamp=lamp)
            assert env.get_reward() == 1.0 and env.episode is not None and env.episode.success
        for env in envs:
            env._remote.close()
    finally:
        servers.close()


def test_serve_options_become_its_command_line():
    assert serve_args({"max_sessions": 8, "frames": False, "env_kwargs": {"a": 1}}) == [
        "--max-sessions", "8", "--no-frames", "--env-arg", "a=1"]
    with pytest.raises(ConfigError, match="max_session"):
        serve_args({"max_session": 8})
