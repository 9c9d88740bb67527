"""Starting `agentloop serve` in a subprocess on loopback, and a policy that plays from
the observations alone (the env's scripted planner, fed what the wire carries)."""

from __future__ import annotations

import base64
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import cv2
import httpx
import numpy as np

from agentloop.calls import SkillSpec
from agentloop.context import Context, HistoryItem, call_targets, seen_in
from agentloop.perception import Perception
from agentloop.plugins import load_object
from agentloop.records import StepRecord
from agentloop.scene import SceneGraph

HOST = "127.0.0.1"
STARTUP_S = 90  # a loaded two-core machine takes its time importing the web stack


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def serve_command(*args: str) -> list[str]:
    """`agentloop serve ARGS` as a command, whether or not the CLI lists `serve` yet."""
    code = ("import sys, agentloop.cli.serve; from agentloop.cli import main; "
            "raise SystemExit(main(['serve', *sys.argv[1:]]))")
    return [sys.executable, "-c", code, *args]


@contextlib.contextmanager
def server(*args: str, token: str | None = None) -> Iterator[str]:
    """A running `agentloop serve ARGS --port P`; yields its base URL, stops it afterwards."""
    port = free_port()
    env = {**os.environ, "MUJOCO_GL": "egl"}
    env.pop("AGENTLOOP_SERVE_TOKEN", None)
    if token:
        env["AGENTLOOP_SERVE_TOKEN"] = token
    proc = subprocess.Popen(serve_command(*args, "--host", HOST, "--port", str(port)), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://{HOST}:{port}"
    try:
        _wait_healthy(proc, url, token)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _wait_healthy(proc: subprocess.Popen, url: str, token: str | None) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode}): {proc.stdout.read() if proc.stdout else ''}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/health", headers=headers, timeout=2).status_code == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(f"the server at {url} did not come up within {STARTUP_S} s")


def active_sessions(url: str, token: str | None = None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return int(httpx.get(f"{url}/sessions", headers=headers, timeout=5).json()["active_sessions"])


def frame_of(observation: dict[str, Any]) -> np.ndarray:
    """The observation's frame, decoded from its base64 PNG."""
    data = np.frombuffer(base64.b64decode(observation["frame"]), np.uint8)
    return cv2.imdecode(data, cv2.IMREAD_UNCHANGED)


class ObservationPolicy:
    """The env's scripted planner, shown only what an OpenEnv client receives: each observation
    (its frame, where the server sends frames), and the steps so far as the loop's history holds
    them, from the observations' step records and the scene each call was made in (a planner that
    counts its clicks or recalls what a page showed reads them in its history)."""

    def __init__(self, planner_path: str, env_id: str) -> None:
        self.planner = load_object(planner_path)()
        self.env_id = env_id
        self.history: list[HistoryItem] = []
        self._started = False
        self._scene: SceneGraph | None = None  # the scene the last call was chosen in

    def __call__(self, observation: dict[str, Any]) -> str:
        scene = SceneGraph.model_validate(observation["scene_graph"])
        if observation.get("step_record"):  # the call that ran last, as the loop's history holds it
            step = StepRecord.model_validate(observation["step_record"])
            ran = step.action is not None
            self.history.append(HistoryItem(
                index=step.index, action=str(step.action or step.action_text or ""), action_error=step.action_error,
                validator=step.validator, targets=call_targets(step.action, self._scene) if ran else (),
                seen=seen_in(self._scene) if ran else {}))
        self._scene = scene
        view: dict[str, Any] = {"text": observation["text"]}
        if observation.get("frame"):
            view["screenshot"] = frame_of(observation)[..., 2::-1]  # the PNG decoded as BGR(A); the env's is RGB
        ctx = Context(self.env_id, Perception(
            scene_graph=scene, goal=observation["goal"], task=observation["task"],
            skills=[SkillSpec(**s) for s in observation["skills"]], extra=observation["extra"]),
            view, step=observation["step"], history=list(self.history))
        if not self._started:
            self.planner.reset(ctx)
            self._started = True
        return str(self.planner.propose(ctx).action)


def play(url: str, env_id: str, seed: int, max_steps: int = 30) -> bool:
    """One episode of `env_id` at `seed`, played by its scripted planner over openenv-core's
    client from the observations alone; whether it ended in success."""
    from openenv.core.generic_client import GenericEnvClient

    from agentloop import registry

    with GenericEnvClient(base_url=url, connect_timeout_s=120, message_timeout_s=600).sync() as env:
        policy = ObservationPolicy(registry.env_class(env_id).scripted_planner, env_id)
        result = env.reset(seed=seed)
        for _ in range(max_steps):
            if result.done:
                break
            result = env.step({"action": policy(result.observation)})
        return bool(result.done and result.observation["success"])
