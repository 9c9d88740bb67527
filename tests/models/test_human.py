"""`--model human`: a run whose model is answered by a program reading each request as a
person would, through the JSON-lines mode and through the page's endpoint. The program decides
from the request text alone (the goal and the scene); a reply that does not parse is refused
with the parser's message and asked again; what is accepted is recorded as the model's calls
and exported as SFT rows."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import datasets
import pytest

from agentloop.errors import ConfigError
from agentloop.models import from_spec
from agentloop.models.human import HumanMode, HumanSpec, StdioChannel
from agentloop.recording import read_steps
from agentloop.recording.run import RunDir

ROOT = Path(__file__).resolve().parents[2]


def _request_text(request: dict) -> str:
    return "\n".join(p.get("text", "") for m in request["messages"] for p in m["content"] if p["type"] == "text")


def decide(request: dict) -> dict:
    """The reply a reader of the request would give: switch on the first lamp the goal names
    that the latest scene shows off, in the shape the request's schema asks for."""
    text = _request_text(request)
    goal = re.search(r"GOAL: (.*)", text).group(1)
    scene = text[text.rfind("SCENE"):]
    off = [lamp for lamp in re.findall(r"lamp_\d+", goal) if re.search(rf"\[{lamp}\][^\n]*on=False", scene)]
    action = {"skill": "switch_on", "args": {"lamp": off[0]}} if off else {"skill": "wait", "args": {}}
    return {"ActionChoice": action, "PlanReply": {"phase": "complete", "next_action": action},
            "ReflectReply": {"ok": True, "next_action": action}}[request["schema_name"]]


@pytest.fixture
def start():
    """Starts `agentloop run` on the toy env with a model spec; a run the test left waiting
    for an answer (a failed assertion) is ended with it."""
    procs: list[subprocess.Popen[str]] = []

    def run(run_dir: Path, model: str, planner: str = "model:single") -> subprocess.Popen[str]:
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "agentloop", "run", "agentloop/toy.switches", "-n", "1", "--model", model,
             "--planner", planner, "-o", str(run_dir)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT))
        return procs[-1]

    yield run
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _calls(run_dir: Path) -> list:
    return [c for f, _ in RunDir(run_dir).episodes() for s in read_steps(f) for c in s.model_calls]


def _sft(run_dir: Path, out: Path) -> datasets.Dataset:
    subprocess.run([sys.executable, "-m", "agentloop", "export", str(run_dir), "--format", "sft", "-o", str(out)],
                   check=True, cwd=ROOT, capture_output=True)
    return datasets.load_dataset("parquet", data_files=str(out / "sft.parquet"), split="train")


def _check_run(run_dir: Path, accepted: list[str], tmp_path: Path, model: str) -> None:
    """The episode succeeded; each accepted reply is one recorded call, as written, and the
    SFT export's rows end with them."""
    record = json.loads(next(RunDir(run_dir).episodes())[0].joinpath("episode.json").read_text())
    assert record["outcome"] == "success"
    calls = _calls(run_dir)
    assert [c.raw for c in calls] == accepted
    assert {(c.model, c.error, c.attempt) for c in calls} == {(model, None, 0)}
    ds = _sft(run_dir, tmp_path / "sft")
    assert [r["messages"][-1]["content"][0]["text"] for r in ds] == accepted
    for r in ds:  # the runtime's prompt as sent: system, then the user's text and frame
        assert [m["role"] for m in r["messages"]] == ["system", "user", "assistant"]
        assert [p["type"] for p in r["messages"][1]["content"]] == ["text", "image"]


@pytest.mark.parametrize("planner", ["model:single", "model:staged"])
def test_a_program_answers_over_json_lines(planner, tmp_path, start):
    run_dir = tmp_path / "run"
    proc = start(run_dir, "human:stdio", planner)
    accepted, refused, images = [], [], set()
    for line in proc.stdout:
        if not line.startswith("{"):
            continue  # the run's own output: the summary table
        request = json.loads(line)
        images.add(Path(request["messages"][1]["content"][1]["path"]))
        assert request["kind"] == "request" and all(p.is_file() for p in images)
        if request["id"] == 1 and request["attempt"] == 0:
            reply = "switch on lamp 3 please"  # not JSON: refused, the same request comes again
        else:
            refused.append(request.get("error"))
            reply = decide(request)
            accepted.append(json.dumps(reply))
        proc.stdin.write(json.dumps({"id": request["id"], "reply": reply}) + "\n")
        proc.stdin.flush()
    assert proc.wait() == 0, proc.stderr.read()
    assert not any(p.parent.exists() for p in images), "the images' folder outlived the run"
    assert refused[0] == "reply is not JSON: 'switch on lamp 3 please'" and set(refused[1:]) == {None}
    _check_run(run_dir, accepted, tmp_path, "human:stdio")


def _open_request(client, proc: subprocess.Popen[str]) -> dict | None:
    """The next open request; None once the run has closed its page."""
    import httpx

    while True:
        try:
            r = client.get("/request", params={"wait": 30})
        except httpx.TransportError:
            return None
        if r.status_code == 200:
            return r.json()
        if proc.poll() is not None:
            return None


def test_a_program_answers_through_the_page_endpoint(tmp_path, start):
    httpx = pytest.importorskip("httpx")
    pytest.importorskip("fastapi")
    run_dir = tmp_path / "run"
    proc = start(run_dir, "human:web:0")
    url = None
    for line in proc.stderr:
        if m := re.search(r"(http://127\.0\.0\.1:\d+/)", line):
            url = m.group(1)
            break
    assert url, "the run never said where its page is"
    with httpx.Client(base_url=url, timeout=90) as client:
        assert "The model's seat" in client.get("/").text
        accepted = []
        while (request := _open_request(client, proc)) is not None:
            assert request["messages"][1]["content"][1]["url"].startswith("data:image/png;base64,")
            if request["id"] == 1 and request["attempt"] == 0:
                refused = client.post("/reply", json={"id": 1, "reply": {"skill": 3}})
                assert refused.status_code == 422
                assert refused.json()["error"] == "reply does not fit the schema: skill: Input should be a valid string"
                assert refused.json()["request"]["attempt"] == 1
                # JSON of the right shape, but a skill the request's schema does not list.
                refused = client.post("/reply", json={"id": 1, "reply": {"skill": "turn_on", "args": {}}})
                assert refused.status_code == 422
                assert refused.json()["error"].startswith(
                    'reply does not fit the schema: skill: "turn_on" is not one of "switch_on", ')
                assert refused.json()["request"]["attempt"] == 2
            reply = decide(request)
            assert client.post("/reply", json={"id": request["id"], "reply": reply}).json() == {"accepted": True}
            accepted.append(json.dumps(reply))
    assert proc.wait(timeout=120) == 0
    _check_run(run_dir, accepted, tmp_path, "human:web")


def test_input_closed_ends_the_call_as_a_model_error():
    from agentloop.errors import ModelError
    from agentloop.models.human_wire import HumanRequest

    lines = iter(['{"id": 2, "reply": {}}\n', "not json\n", ""])
    written: list[str] = []
    channel = StdioChannel(read=lambda: next(lines), write=written.append)
    with pytest.raises(ModelError, match="input closed before request 1"):
        channel.ask(HumanRequest(id=1, model="human:stdio", messages=[]), lambda text: None)
    errors = [json.loads(w).get("error") for w in written]
    assert errors[0] is None
    assert errors[1] == "reply to request 2, but the open request is 1"
    assert errors[2].startswith('a reply is one JSON object, {"id": N, "reply": {...}}: ')


def test_specs():
    assert HumanSpec.parse("human") == HumanSpec(mode=HumanMode.TERMINAL)
    assert HumanSpec.parse("human:web:9000") == HumanSpec(mode=HumanMode.WEB, port=9000)
    for bad in ("human:stdio:9000", "human:phone", "human:web:x"):
        with pytest.raises(ConfigError, match="expected human, human:stdio or human:web"):
            from_spec(bad)


def test_the_terminal_shows_the_request_and_refuses_a_slip(tmp_path):
    """A person at the terminal: the request's text and its image file are printed, a reply
    over several lines ends when it is one JSON value, and a reply that does not fit is refused
    with the parser's message and typed again."""
    import io

    import numpy as np
    from rich.console import Console

    from agentloop.models import ImagePart, Message, TextPart
    from agentloop.models.human import HumanModel
    from agentloop.models.human_terminal import TerminalChannel
    from agentloop.prompts.schemas import ActionChoice

    typed = iter(['{"skill": "switch_on",', '"args": "lamp_1"}', '{"skill": "switch_on",', '"args": {"lamp": "lamp_1"}}'])
    shown = io.StringIO()
    model = HumanModel("human", image_dir=tmp_path)
    model.channel = TerminalChannel(Console(file=shown, width=100), read=lambda prompt: next(typed))
    frame = ImagePart.from_array(np.zeros((8, 8, 3), dtype=np.uint8), ref="frame:step0")
    c = model.complete([Message(role="system", content="You are the planner."),
                        Message(role="user", content=[TextPart(text="GOAL: switch on lamp_1"), frame])], ActionChoice)
    assert c.parsed == ActionChoice(skill="switch_on", args={"lamp": "lamp_1"}) and c.model == "human"
    out = shown.getvalue()
    assert "GOAL: switch on lamp_1" in out and "You are the planner." in out
    png = next(tmp_path.glob("frame_step0-*.png"))
    assert f"[image frame:step0: {png}]" in out.replace("\n", "")
    assert "refused: reply does not fit the schema: args: Input should be a valid dictionary" in out


def test_a_busy_port_is_said_before_the_run():
    import socket

    from agentloop.errors import ModelUnreachable
    from agentloop.models import check_spec

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ModelUnreachable, match=f"cannot serve on 127.0.0.1:{port}"):
            check_spec(f"human:web:{port}")
    check_spec("human:web:0")
    check_spec("human:stdio")
