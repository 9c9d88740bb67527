"""TRL rollouts whose envs run in a running `agentloop serve`, not in the trainer's process.

```python
cls = environment_factory("agentloop/robot.pick-place", servers=["http://10.0.0.5:8000", "http://10.0.0.6:8000"])
```

The class is the in-process factory's: one tool per skill with the same schema (read from the
env's class here; no env is made), `reset(**row)` with the same seeds, the same answers and
`get_reward()`. Each instance holds one WebSocket session (opened at its first reset, on the
server with the most free places; a full one is skipped) and every call runs there through
the server's critic, skill and validator; the observation carries the step's record and, at
the end, the episode's, so `steps`, `episode` and the rewards are what they would be here.
The loop's options (critic, validator, bounds, recording) are the server's own: give them to
`agentloop serve`, not here.
"""

from __future__ import annotations

import base64
import contextlib
import io
import itertools
import json
import os
import threading
import weakref
from typing import Any, ClassVar

import httpx
from PIL import Image
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from agentloop import registry
from agentloop.calls import SkillCall
from agentloop.errors import AgentLoopError, ConfigError
from agentloop.integrations.options import TOKEN_ENV
from agentloop.integrations.tool_env import Content, FactoryOptions, SkillToolEnv, _row_seed, tool_class
from agentloop.integrations.tools import skillset_of
from agentloop.loop import EpisodeSpec
from agentloop.records import EpisodeRecord, StepRecord

_CLIENT_SIDE = frozenset({"frames", "env_kwargs", "reward", "step_weight", "gate"})
CONNECT_S = 60  # a loaded server's worker may take its time accepting


class ServerPool:
    """The servers a factory's rollouts spread over: a new session goes to the one with the most
    free places (its `/sessions`), ties taken in turn; a server that refuses (full) is skipped."""

    def __init__(self, urls: list[str], token: str | None = None) -> None:
        if not urls:
            raise ConfigError("give at least one server URL")
        self.urls = [u.rstrip("/") for u in urls]
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._turn = itertools.count()
        self._lock = threading.Lock()

    def free(self, url: str) -> int:
        """Free places on the server at `url` (-1 when it does not answer)."""
        try:
            got = httpx.get(f"{url}/sessions", headers=self._headers, timeout=10).json()
            return int(got["max_sessions"]) - int(got["active_sessions"])
        except (httpx.HTTPError, KeyError, ValueError):
            return -1

    def connect(self) -> ClientConnection:
        """A new session on the freest server."""
        with self._lock:
            start = next(self._turn)
        ring = self.urls[start % len(self.urls):] + self.urls[:start % len(self.urls)]
        refused = []
        for url in sorted(ring, key=self.free, reverse=True):  # sorted is stable: ties keep their turn
            ws_url = url.replace("https://", "wss://").replace("http://", "ws://") + "/ws"
            try:
                return connect(ws_url, additional_headers=self._headers, open_timeout=CONNECT_S, max_size=None,
                               legacy=True)
            except (InvalidStatus, OSError, TimeoutError) as e:
                refused.append(f"{url}: {e}")
        raise AgentLoopError("no server took the session: " + "; ".join(refused))


class RemoteSession:
    """One WebSocket session on a server of the pool, driven as `Session` is: `reset`, `act`,
    `finish`, `close`; it keeps the episode's spec, step records and record from the wire."""

    def __init__(self, pool: ServerPool, env_id: str) -> None:
        self.pool, self.env_id = pool, env_id
        self._ws: ClientConnection | None = None
        self.spec: EpisodeSpec | None = None
        self.steps: list[StepRecord] = []
        self.record: EpisodeRecord | None = None

    def reset(self, seed: int, env_id: str | None = None) -> dict[str, Any]:
        """Start an episode; the reset's observation."""
        obs = self._ask("reset", {"seed": seed, "task": env_id})["observation"]
        self.spec = EpisodeSpec(registry.resolve(env_id) if env_id else self.env_id, seed, int(obs["rollout"]))
        self.steps, self.record = [], None
        return obs

    def act(self, call: SkillCall) -> dict[str, Any]:
        """Run one call on the server; its observation (`episode` parsed once the episode ended)."""
        # As text: the loop records a proposal by its text, and a call's text parses back to the call.
        obs = self._ask("step", {"action": str(call)})["observation"]
        if obs.get("step_record") is not None:
            self.steps.append(StepRecord.model_validate(obs["step_record"]))
        if obs.get("episode") is not None:
            self.record = obs["episode"] = EpisodeRecord.model_validate(obs["episode"])
        return obs

    def finish(self) -> EpisodeRecord | None:
        """End the episode on the server (as truncated, if it still runs); its record."""
        if self._ws is None:
            return None
        episode = self._ask("finish")["episode"]
        self.record = EpisodeRecord.model_validate(episode) if episode is not None else None
        return self.record

    def close(self) -> None:
        """End the session (the server lands a running episode and frees the env)."""
        ws, self._ws = self._ws, None
        if ws is not None:
            with contextlib.suppress(Exception):  # the server may be gone already; the socket closes anyway
                ws.send(json.dumps({"type": "close"}))
            ws.close()

    def _ask(self, kind: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        if self._ws is None:
            self._ws = self.pool.connect()
        self._ws.send(json.dumps({"type": kind, "data": data or {}}))
        reply = json.loads(self._ws.recv())
        if reply.get("type") == "error":
            raise AgentLoopError(str(reply["data"].get("message")))
        return dict(reply["data"])


class RemoteToolEnv(SkillToolEnv):
    """`SkillToolEnv` whose env runs on a server of the class's `pool`."""

    pool: ClassVar[ServerPool]

    def __init__(self) -> None:  # no local Session: the env is the server's
        self._remote = RemoteSession(self.pool, self.env_id)
        self._closer = weakref.finalize(self, self._remote.close)
        self.spec: EpisodeSpec | None = None
        self.steps: list[StepRecord] = []
        self.episode: EpisodeRecord | None = None

    def reset(self, **row: Any) -> Content:
        """Start the rollout the dataset row names (`seed`, optional `task`)."""
        task = row.get("task")
        obs = self._remote.reset(_row_seed(row), str(task) if task else None)
        self.spec, self.steps, self.episode = self._remote.spec, self._remote.steps, None
        return self._answer(obs)

    def _finish(self) -> EpisodeRecord | None:
        return self._remote.finish()

    def _call(self, call: SkillCall) -> Content:
        obs = self._remote.act(call)
        self.episode = obs.get("episode")
        return self._answer(obs)

    def _answer(self, obs: dict[str, Any]) -> Content:
        if not self.options.frames or not obs.get("frame"):
            return str(obs["answer"])
        image = Image.open(io.BytesIO(base64.b64decode(obs["frame"])))
        image.load()
        return [{"type": "image", "image": image}, {"type": "text", "text": str(obs["answer"])}]


def remote_factory(env_id: str, servers: str | list[str], token: str | None = None,
                   **options: Any) -> type[SkillToolEnv]:
    """`environment_factory(env_id, servers=...)`: a class whose rollouts run on `servers`
    (`token`, else `$AGENTLOOP_SERVE_TOKEN`, for guarded ones). Of `options`, only those the
    trainer's side decides are taken (reward, step_weight, gate, frames, env_kwargs for the
    tool schemas); the loop's are the server's."""
    opts = FactoryOptions(**options)
    theirs = sorted(set(options) - _CLIENT_SIDE)
    if theirs:
        raise ConfigError(f"with servers, the loop's options are the server's (agentloop serve): {', '.join(theirs)}")
    env_id = registry.resolve(env_id)
    urls = [servers] if isinstance(servers, str) else list(servers)
    pool = ServerPool(urls, token or os.environ.get(TOKEN_ENV))
    return tool_class(RemoteToolEnv, env_id, skillset_of(env_id, opts.env_kwargs), opts, pool=pool)
