"""Sessions spread over a Ray cluster: one `agentloop serve` per node, balanced by the client.

```python
import ray
from agentloop.serve.cluster import serve_on_ray

ray.init()  # joins the cluster RAY_ADDRESS names, or starts a local one
servers = serve_on_ray("agentloop/robot.pick-place", max_sessions=64)
cls = servers.factory(reward="success")  # for GRPOTrainer(environment_factory=cls)
...
servers.close()
```

Each node runs a server (a Ray actor holding it as a subprocess, pinned to its node), and the
remote factory (`ServerPool`) puts each new session on the server with the most free places.
A session is then a WebSocket session of one server, so it keeps everything a server gives it:
OpenEnv's protocol (any OpenEnv client may use the same URLs), its env on one thread of one
process for its life (Playwright and EGL contexts stay with their thread), the server's workers
on every core of the node. Sessions as actors would cost a process and a Ray call per step each
and need a protocol of their own. A node's address is beyond loopback, so the servers are
guarded by a token: the one given, else a new one the factory is handed.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

import httpx

from agentloop.errors import ConfigError
from agentloop.integrations.options import TOKEN_ENV
from agentloop.integrations.tool_env import SkillToolEnv
from agentloop.integrations.trl import environment_factory

STARTUP_S = 180  # a loaded node takes its time importing the web stack and the env


class NodeServer:
    """A Ray actor's state: one `agentloop serve` on the actor's node, stopped by `close`."""

    def __init__(self, args: list[str], token: str) -> None:
        host = _node_ip()
        with socket.socket() as s:
            s.bind((host, 0))
            port = int(s.getsockname()[1])
        env = {**os.environ, TOKEN_ENV: token}
        self.url = f"http://{host}:{port}"
        # What the server says, read back if it fails to start; open for the server's life.
        self.log = tempfile.TemporaryFile("w+")  # noqa: SIM115
        self.proc = subprocess.Popen([sys.executable, "-m", "agentloop", "serve", *args, "--host", host,
                                      "--port", str(port)], env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self._wait(token)

    def address(self) -> str:
        return self.url

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.log.close()

    def _wait(self, token: str) -> None:
        deadline = time.monotonic() + STARTUP_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.seek(0)
                out = self.log.read()
                raise ConfigError(f"agentloop serve exited ({self.proc.returncode}) on {self.url}: {out[-2000:]}")
            try:
                if httpx.get(f"{self.url}/health", headers={"Authorization": f"Bearer {token}"}, timeout=2).is_success:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.close()
        raise ConfigError(f"agentloop serve on {self.url} did not answer within {STARTUP_S} s")


class RayServers:
    """The servers `serve_on_ray` started: their URLs, a factory over them, and `close`."""

    def __init__(self, env_id: str, actors: list[Any], urls: list[str], token: str) -> None:
        self.env_id, self.urls, self.token = env_id, urls, token
        self._actors = actors

    def factory(self, **options: Any) -> type[SkillToolEnv]:
        """`environment_factory` over these servers (`options`: the trainer's side's)."""
        return environment_factory(self.env_id, servers=self.urls, token=self.token, **options)

    def close(self) -> None:
        """Stop every server (their sessions' episodes land first) and their actors."""
        import ray

        ray.get([actor.close.remote() for actor in self._actors])
        for actor in self._actors:
            ray.kill(actor)
        self._actors = []


def serve_on_ray(env_id: str, nodes: int | None = None, token: str | None = None, **serve_options: Any) -> RayServers:
    """One `agentloop serve env_id` on each of `nodes` alive nodes of the Ray cluster this
    process joined (default: all); `serve_options` are `agentloop serve`'s options by their
    field names (`max_sessions=64`, `workers=4`, `critic="rule"`, `record="/shared/run"`)."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    if not ray.is_initialized():
        raise ConfigError("join a Ray cluster first (ray.init())")
    alive = [n["NodeID"] for n in ray.nodes() if n.get("Alive")]
    chosen = alive[:nodes] if nodes else alive
    if not chosen:
        raise ConfigError("the Ray cluster has no alive node")
    token = token or secrets.token_urlsafe(32)
    args = [env_id, *serve_args(serve_options)]
    actor_class: Any = ray.remote(num_cpus=0)(NodeServer)
    actors = [actor_class.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False))
              .remote(args, token) for node in chosen]
    urls = ray.get([actor.address.remote() for actor in actors])
    return RayServers(env_id, actors, urls, token)


def serve_args(options: dict[str, Any]) -> list[str]:
    """`agentloop serve`'s command-line options for settings given by their field names."""
    from agentloop.serve.config import ServeConfig

    unknown = sorted(set(options) - set(ServeConfig.model_fields) - {"host", "port"})
    if unknown or "env_id" in options or "token" in options:
        raise ConfigError(f"not options of agentloop serve here: {', '.join(unknown) or 'env_id, token'}")
    out: list[str] = []
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        if name == "env_kwargs":
            out += [a for k, v in value.items() for a in ("--env-arg", f"{k}={v}")]
        elif isinstance(value, bool):
            out.append(flag if value else f"--no-{name.replace('_', '-')}")
        elif value is not None:
            out += [flag, str(value)]
    return out


def _node_ip() -> str:
    import ray.util

    return str(ray.util.get_node_ip_address())
