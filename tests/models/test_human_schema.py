"""`--model human` holds a reply to the request's own `reply_schema` (the skills listed, the ids
in view): one that breaks it is refused with the validator's message and asked again, on the
page's endpoint (422), over JSON lines and at the terminal; and where a role refuses an
accepted reply with its own checks and asks again, the new request says why in `error` and
counts the refused replies in `attempt`. Driven through the role's real call (`call_json`) with
the toy env's real perception."""

from __future__ import annotations

import io
import json
import threading
from typing import Any

import pytest

from agentloop import registry
from agentloop.models import Message
from agentloop.models.human import HumanModel, StdioChannel
from agentloop.perception import perception_of
from agentloop.prompts.schemas import ActionChoice, grounded
from agentloop.records import CallRole, ModelCallRecord
from agentloop.roles.vlm_call import call_json

UNKNOWN_SKILL = {"skill": "turn_on", "args": {}}
NO_SUCH_LAMP = {"skill": "switch_on", "args": {"lamp": "lamp_99"}}
REPAIRED = "lamp_1 is being repaired; pick another lamp"


@pytest.fixture(scope="module")
def seat() -> tuple[type[ActionChoice], list[Message], str]:
    """The grounded schema, the messages and the id of a lamp that is off, from the toy env."""
    env = registry.make("agentloop/toy.switches")
    _, info = env.reset(seed=0)
    p = perception_of(info)
    env.close()
    assert p.scene_graph is not None
    off = next(n.id for n in p.scene_graph.nodes if not n.get("on"))
    messages = [Message(role="system", content="You are the planner."),
                Message(role="user", content=f"GOAL: {p.goal}\nSCENE:\n{p.scene_graph.to_text()}")]
    return grounded(ActionChoice, p.skills, p.scene_graph), messages, off


def _refuse_once() -> Any:
    """A role's own check that refuses the first reply it sees (as `_ground`/`_unseen` do)."""
    seen: list[ActionChoice] = []

    def check(reply: Any) -> str | None:
        seen.append(reply)
        return REPAIRED if len(seen) == 1 else None
    return check


def _ask(model: HumanModel, seat: tuple, calls: list[ModelCallRecord], out: dict[str, Any]) -> None:
    schema, messages, _ = seat
    try:
        out["reply"] = call_json(model, CallRole.ACTION, messages, schema, calls, check=_refuse_once())
    except Exception as e:  # the test asserts on it
        out["error"] = e


def test_the_page_endpoint_refuses_what_breaks_the_reply_schema_and_says_why_a_role_asks_again(seat):
    httpx = pytest.importorskip("httpx")
    pytest.importorskip("fastapi")
    model = HumanModel("human:web:0")
    calls: list[ModelCallRecord] = []
    out: dict[str, Any] = {}
    asking = threading.Thread(target=_ask, args=(model, seat, calls, out), daemon=True)
    asking.start()
    good = {"skill": "switch_on", "args": {"lamp": seat[2]}}
    try:
        with httpx.Client(base_url=model.channel.url, timeout=60) as client:  # type: ignore[attr-defined]
            first = client.get("/request", params={"wait": 30}).json()
            assert (first["id"], first["attempt"], first.get("error")) == (1, 0, None)
            names = [v["properties"]["skill"]["const"] for v in first["reply_schema"]["anyOf"]]
            assert "switch_on" in names and "turn_on" not in names

            r = client.post("/reply", json={"id": 1, "reply": UNKNOWN_SKILL})
            assert r.status_code == 422
            error = r.json()["error"]
            assert error.startswith('reply does not fit the schema: skill: "turn_on" is not one of "switch_on", ')
            assert (r.json()["request"]["attempt"], r.json()["request"]["error"]) == (1, error)

            r = client.post("/reply", json={"id": 1, "reply": NO_SUCH_LAMP})
            assert r.status_code == 422 and r.json()["error"].startswith(
                "reply does not fit the schema: args.lamp: 'lamp_99' is not one of ['lamp_0', ")
            assert client.get("/request").json()["attempt"] == 2

            assert client.post("/reply", json={"id": 1, "reply": good}).json() == {"accepted": True}
            again = client.get("/request", params={"wait": 30}).json()  # the role's check refused it
            assert again["id"] == 2 and again["attempt"] == 3 and REPAIRED in again["error"]
            assert client.post("/reply", json={"id": 2, "reply": good}).json() == {"accepted": True}
        asking.join(30)
    finally:
        model.close()
    assert out["reply"].model_dump() == good, out
    assert [(c.attempt, c.error) for c in calls] == [(0, REPAIRED), (1, None)]


def test_json_lines_refuse_what_breaks_the_reply_schema_and_say_why_a_role_asks_again(seat):
    good = {"skill": "switch_on", "args": {"lamp": seat[2]}}
    replies = iter([{"id": 1, "reply": UNKNOWN_SKILL}, {"id": 1, "reply": good}, {"id": 2, "reply": good}])
    written: list[str] = []
    model = HumanModel("human:stdio")
    model.channel = StdioChannel(read=lambda: json.dumps(next(replies)) + "\n", write=written.append)
    calls: list[ModelCallRecord] = []
    out: dict[str, Any] = {}
    _ask(model, seat, calls, out)
    assert out["reply"].model_dump() == good, out
    requests = [json.loads(w) for w in written]
    assert [(r["id"], r["attempt"]) for r in requests] == [(1, 0), (1, 1), (2, 2)]
    assert "error" not in requests[0]
    assert requests[1]["error"].startswith('reply does not fit the schema: skill: "turn_on" is not one of')
    assert REPAIRED in requests[2]["error"]
    assert [(c.attempt, c.error) for c in calls] == [(0, REPAIRED), (1, None)]


def test_the_terminal_refuses_what_breaks_the_reply_schema(seat, tmp_path):
    from rich.console import Console

    from agentloop.models.human_terminal import TerminalChannel

    schema, messages, off = seat
    typed = iter([json.dumps(UNKNOWN_SKILL), json.dumps({"skill": "switch_on", "args": {"lamp": off}})])
    shown = io.StringIO()
    model = HumanModel("human", image_dir=tmp_path)
    model.channel = TerminalChannel(Console(file=shown, width=400), read=lambda prompt: next(typed))
    c = model.complete(messages, schema)
    assert c.parsed is not None and c.parsed.model_dump() == {"skill": "switch_on", "args": {"lamp": off}}
    assert 'refused: reply does not fit the schema: skill: "turn_on" is not one of "switch_on", ' in shown.getvalue()


def test_a_new_request_is_not_taken_for_a_re_ask(seat):
    """Only the same messages with the answered reply and a user turn after it are a re-ask."""
    schema, messages, off = seat
    good = {"skill": "switch_on", "args": {"lamp": off}}
    replies = iter([{"id": 1, "reply": good}, {"id": 2, "reply": good}])
    written: list[str] = []
    model = HumanModel("human:stdio")
    model.channel = StdioChannel(read=lambda: json.dumps(next(replies)) + "\n", write=written.append)
    model.complete(messages, schema)
    other = [*messages, Message(role="assistant", content="something else"), Message(role="user", content="why")]
    model.complete(other, schema)
    assert [(json.loads(w)["attempt"], json.loads(w).get("error")) for w in written] == [(0, None), (0, None)]
