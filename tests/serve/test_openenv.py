"""`agentloop serve` in a subprocess, driven by openenv-core's own `GenericEnvClient`: a
whole episode with the verdicts on every observation, a claim judged by the env, malformed messages answered while the
session lives on, a full server refusing at once, a vanished client freeing its env, the
token checked on every connection, and no bind beyond loopback without one."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import httpx
import pytest
from openenv.core.generic_client import GenericEnvClient
from websockets.sync.client import connect

from agentloop import registry
from agentloop.cli import main
from agentloop.recording import RunDir, read_steps
from tests.serve.helpers import ObservationPolicy, active_sessions, frame_of, server

ROBOT = "agentloop/robot.pick-place"
TOY = "agentloop/toy.switches"
TOKEN = "t0ken-for-the-loopback-tests-only"


def planner_of(env_id: str) -> str:
    return registry.env_class(env_id).scripted_planner


def test_generic_client_plays_a_whole_episode(tmp_path):
    run_dir = tmp_path / "run"
    with server(ROBOT, "--record", str(run_dir)) as url, GenericEnvClient(base_url=url).sync() as env:
        policy = ObservationPolicy(planner_of(ROBOT), ROBOT)
        result = env.reset(seed=3)
        start = result.observation
        assert frame_of(start).shape == (256, 256, 3) and start["goal"] and start["state_key"]
        assert {s["name"] for s in start["skills"]} >= {"pick", "place"}
        steps = 0
        while not result.done and steps < 20:
            result = env.step({"action": policy(result.observation)})
            obs, steps = result.observation, steps + 1
            assert obs["critic"]["ok"] and obs["critic"]["source"] == "rule"  # judged before it ran
            assert obs["validator"]["source"] == "rule" and obs["action"]  # and checked after
            assert set(obs["rewards"]) == {"env", "progress", "valid_action", "critic", "validator"}
            assert obs["action_error"] is None and obs["step"] == steps
        assert result.done and obs["success"] and obs["outcome"] == "success" and result.reward == 1.0
        assert obs["progress"] == 1.0
        state = env.state()
        assert state["done"] and state["step_count"] == steps and state["seed"] == 3
        again = env.reset(seed=3).observation  # the same seed, the same start
        assert (again["state_key"], again["text"]) == (start["state_key"], start["text"])
        assert (frame_of(again) == frame_of(start)).all()
    episodes = list(RunDir(run_dir).episodes())
    assert [rec.outcome.value for _, rec in episodes] == ["success", "truncated"]
    assert RunDir(run_dir).manifest().config.planner == "openenv"
    assert len(read_steps(episodes[0][0])) == steps


def test_a_claim_the_env_judges_is_the_observations_verdict(tmp_path):
    """A task that asks a question ends on the planner's `finish` claim: the last observation's
    success is the env's verdict on the answer, as its recorded outcome is, right or wrong."""
    site = "agentloop/site.price_lookup"
    run_dir = tmp_path / "run"
    with server(site, "--record", str(run_dir), "--no-frames") as url, GenericEnvClient(base_url=url).sync() as env:
        policy = ObservationPolicy(planner_of(site), site)
        result = env.reset(seed=0)
        while not result.done:
            result = env.step({"action": policy(result.observation)})
        right = result.observation
        env.reset(seed=0)
        wrong = env.step({"action": 'finish(status="done", answer="$0.01")'}).observation
    assert right["action"].startswith("finish(") and (right["outcome"], right["success"]) == ("success", True)
    assert right["validator"]["ok"] and right["step_record"]["success"]
    assert (wrong["outcome"], wrong["success"], wrong["validator"]["ok"]) == ("failure", False, False)
    # The text answer a tool-calling policy reads says the same.
    assert "success: yes; progress: 1.00\nepisode over: success" in right["answer"]
    assert "success: no; progress: 0.00\nepisode over: failure" in wrong["answer"]
    assert [rec.outcome.value for _, rec in RunDir(run_dir).episodes()] == ["success", "failure"]


@pytest.fixture(scope="module")
def toy_url():
    with server(TOY, "--max-sessions", "1", token=TOKEN) as url:
        yield url


def _authed(url: str) -> str:
    return url.replace("http://", f"http://agentloop:{TOKEN}@")


def _connect(url: str) -> None:
    """Connect a client and let it go; a refusal raises (the client's loop thread stops either way)."""
    client = GenericEnvClient(base_url=url, connect_timeout_s=30).sync()
    try:
        client.connect()
    finally:
        client.close()


def test_malformed_messages_are_answered_and_the_session_lives_on(toy_url):
    ws_url = _authed(toy_url).replace("http://", "ws://") + "/ws"
    with connect(ws_url, open_timeout=30) as ws:
        def ask(message: str) -> dict:
            ws.send(message)
            return json.loads(ws.recv(timeout=60))

        assert ask("{not json")["data"]["code"] == "INVALID_JSON"
        assert ask(json.dumps({"type": "dance"}))["data"]["code"] == "UNKNOWN_TYPE"
        assert "reset first" in ask(json.dumps({"type": "step", "data": {"action": "wait()"}}))["data"]["message"]
        assert ask(json.dumps({"type": "reset", "data": {"seed": -1}}))["data"]["code"] == "VALIDATION_ERROR"
        assert ask(json.dumps({"type": "reset", "data": {"seed": 5}}))["type"] == "observation"
        bad = ask(json.dumps({"type": "step", "data": {"act": "wait()"}}))["data"]
        assert bad["code"] == "VALIDATION_ERROR" and "action" in bad["message"]
        unparsable = ask(json.dumps({"type": "step", "data": {"action": "switch_on("}}))["data"]
        assert unparsable["observation"]["action_error_kind"] == "parse" and not unparsable["done"]
        ran = ask(json.dumps({"type": "step", "data": {"action": "wait()"}}))["data"]["observation"]
        assert ran["action"] == "wait()" and ran["step"] == 2
        assert ask(json.dumps({"type": "state"}))["data"]["step_count"] == 2


def test_token_is_checked_on_every_connection(toy_url):
    assert httpx.get(f"{toy_url}/health", timeout=10).status_code == 401
    assert httpx.get(f"{toy_url}/health", headers={"Authorization": "Bearer wrong-token-wrong-token"},
                     timeout=10).status_code == 401
    assert httpx.get(f"{toy_url}/health", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10).status_code == 200
    with pytest.raises(ConnectionError, match="401"):
        _connect(toy_url)
    with GenericEnvClient(base_url=_authed(toy_url), connect_timeout_s=30).sync() as env:
        assert env.reset(seed=1).observation["goal"].startswith("switch on")


HOLDER = """
import sys, time
from openenv.core.generic_client import GenericEnvClient
env = GenericEnvClient(base_url=sys.argv[1], connect_timeout_s=30).sync()
env.connect()
env.reset(seed=2)
print("holding", flush=True)
time.sleep(600)
"""


def test_full_server_refuses_and_a_vanished_client_frees_its_env(toy_url):
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, _authed(toy_url)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        assert active_sessions(toy_url, TOKEN) == 1
        t0 = time.monotonic()
        with pytest.raises(ConnectionError, match="503"):  # refused at once, not left waiting
            _connect(_authed(toy_url))
        assert time.monotonic() - t0 < 30
    finally:
        holder.kill()  # gone without a word: no close message, the socket just drops
        holder.wait(timeout=30)
    deadline = time.monotonic() + 60
    while active_sessions(toy_url, TOKEN) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert active_sessions(toy_url, TOKEN) == 0
    with GenericEnvClient(base_url=_authed(toy_url), connect_timeout_s=30).sync() as env:  # the place is free again
        with pytest.raises(RuntimeError, match="reset first"):
            env.step({"action": "wait()"})
        assert not env.reset(seed=2).done


def test_binding_beyond_loopback_needs_a_token(capsys, monkeypatch):
    monkeypatch.delenv("AGENTLOOP_SERVE_TOKEN", raising=False)
    import agentloop.cli.serve  # noqa: F401  (registers the command)
    from agentloop.serve import check_bind, is_loopback

    assert [is_loopback(h) for h in ("127.0.0.1", "localhost", "::1", "0.0.0.0", "10.0.0.5", "example.org")] == [
        True, True, True, False, False, False]
    check_bind("0.0.0.0", TOKEN)  # with a token, anywhere

    assert main(["serve", TOY, "--host", "0.0.0.0", "--port", "9"]) == 2
    assert "token" in capsys.readouterr().err
    assert main(["serve", TOY, "--host", "0.0.0.0", "--port", "9", "--token", "short"]) == 2
    assert "too short" in capsys.readouterr().err
