"""The HTTP backend through the real `openai` SDK against the server double on a loopback socket."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from agentloop.errors import ModelError, ModelUnreachable
from agentloop.models import ImagePart, Message, ModelPool, TextPart, check_spec, from_spec
from agentloop.models.openai_http import OpenAIModel
from agentloop.prompts.schemas import ActionChoice
from agentloop.testing.openai_server import Fault, OpenAIServerDouble, chat_prompt, double_token_ids

PICK = '{"skill": "pick", "args": {"object": "red_cube"}}'


@pytest.fixture
def server():
    with OpenAIServerDouble() as s:
        yield s


def _model(server, **kw) -> OpenAIModel:
    kw.setdefault("backoff_s", 0.01)
    kw.setdefault("timeout_s", 5.0)
    return OpenAIModel("double-vlm", base_url=server.base_url, **kw)


def _ask(text: str = "next?") -> list[Message]:
    frame = np.zeros((8, 8, 3), np.uint8)
    frame[2:5, 2:5] = 255
    return [Message(role="user", content=[TextPart(text=text), ImagePart.from_array(frame, ref="frame:0")])]


def test_structured_reply_usage_latency_logprobs_and_image_as_data_url(server):
    server.latency_s = 0.05
    server.reply_with(PICK)
    c = _model(server, logprobs=True).complete(_ask(), ActionChoice, temperature=0.0)
    assert c.parsed == ActionChoice(skill="pick", args={"object": "red_cube"})
    assert c.latency_s >= 0.05 and c.usage.completion_tokens == len(PICK.split())
    assert c.token_logprobs == [-0.1] * len(PICK.split()) and c.logprob_sum == pytest.approx(-0.1 * len(PICK.split())) and c.mean_entropy > 0
    req = server.requests[-1]
    assert req["response_format"]["type"] == "json_schema"
    assert req["response_format"]["json_schema"]["schema"]["properties"]["skill"]
    image = req["messages"][0]["content"][1]
    assert image["type"] == "image_url" and image["image_url"]["url"].startswith("data:image/png;base64,")


def test_429_and_5xx_are_retried_then_succeed(server):
    server.fail_with(Fault(kind="status", status=429), Fault(kind="status", status=503), Fault(kind="status", status=500))
    server.reply_with(PICK)
    c = _model(server, max_retries=4).complete(_ask(), ActionChoice)
    assert c.parsed.skill == "pick" and len(server.requests) == 4


def test_retries_are_bounded_then_model_error(server):
    server.fail_with(*[Fault(kind="status", status=502)] * 3)
    with pytest.raises(ModelError, match="failed after 3 attempts"):
        _model(server, max_retries=2).complete(_ask())


def test_client_error_is_not_retried(server):
    server.fail_with(Fault(kind="status", status=401))
    with pytest.raises(ModelError, match="401"):
        _model(server).complete(_ask())
    assert len(server.requests) == 1


def test_malformed_body_and_dropped_connection_are_retried(server):
    server.fail_with(Fault(kind="malformed"), Fault(kind="drop"))
    server.reply_with(PICK)
    assert _model(server).complete(_ask(), ActionChoice).parsed.skill == "pick"


def test_empty_and_non_json_replies_come_back_as_parse_errors(server):
    m = _model(server)
    server.fail_with(Fault(kind="empty"), Fault(kind="no_choices"))
    server.reply_with("Sure! I would pick the cube.", '```json\n' + PICK + '\n```', '{"skill": 3}')
    assert m.complete(_ask(), ActionChoice).parse_error == "empty reply"
    assert m.complete(_ask(), ActionChoice).parse_error == "empty reply"
    assert "not JSON" in m.complete(_ask(), ActionChoice).parse_error
    assert m.complete(_ask(), ActionChoice).parsed.skill == "pick"  # tolerant: fenced JSON
    assert "skill" in m.complete(_ask(), ActionChoice).parse_error


def test_server_without_json_schema_support_falls_back_to_tolerant_parsing(server):
    m = _model(server)
    server.fail_with(Fault(kind="status", status=400))  # generic 400: a real rejection
    with pytest.raises(ModelError):
        m.complete(_ask(), ActionChoice)
    assert m.structured  # only a response_format complaint turns structured output off


def test_timeout_is_retried_then_reported(server):
    server.latency_s = 1.0
    with pytest.raises(ModelError, match="Timeout"):
        _model(server, timeout_s=0.2, max_retries=1).complete(_ask())


def test_server_disappearing_mid_run_is_a_model_error():
    server = OpenAIServerDouble().start()
    m = OpenAIModel("double-vlm", base_url=server.base_url, backoff_s=0.01, max_retries=2, timeout_s=2)
    server.reply_with(PICK)
    assert m.complete(_ask(), ActionChoice).parsed.skill == "pick"
    server.stop()
    with pytest.raises(ModelError, match="APIConnectionError"):
        m.complete(_ask(), ActionChoice)


def test_threads_share_one_client_and_overlap(server):
    server.latency_s = 0.2
    m = _model(server, concurrency=8)
    out: list[str] = []

    def work():
        out.append(m.complete(_ask()).text)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(out) == 8 and all(json.loads(t) == {} for t in out)  # no schema asked: an empty object


def test_from_spec_reads_env_and_builds_a_backend_per_call(server, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    a, b = from_spec("openai:some-name"), from_spec("openai:some-name")
    try:
        assert a is not b and isinstance(a, OpenAIModel) and a.base_url == server.base_url
        server.reply_with(PICK)
        assert a.complete(_ask(), ActionChoice).parsed.skill == "pick"
    finally:
        a.close()
        b.close()


def test_pool_shares_one_backend_per_spec_and_closes_them(server, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    with ModelPool() as pool:
        a = pool.get("openai:shared-name")
        assert pool.get("openai:shared-name") is a
        assert pool.get("openai:shared-name", base_url=server.base_url) is not a
        assert pool.get("openai:other-name") is not a
        server.reply_with(PICK)
        assert a.complete(_ask(), ActionChoice).parsed.skill == "pick"
    # Leaving the pool closed the client and stopped its event-loop thread.
    a._io.thread.join(timeout=5)
    assert not a._io.thread.is_alive()


def test_token_ids_and_logprobs_when_the_server_returns_them(server):
    server.reply_with(PICK)
    c = _model(server).complete(_ask(), ActionChoice, temperature=0.0)
    req = server.requests[-1]
    # Asked for as vLLM takes them, and returned as vLLM gives them.
    assert req["return_token_ids"] is True and req["logprobs"] is True
    assert c.completion_token_ids == double_token_ids(PICK.split())
    assert len(c.token_logprobs) == len(c.completion_token_ids)
    assert c.prompt_token_ids == double_token_ids(chat_prompt(req).split())
    assert c.model_id == "double-vlm"


def test_a_server_without_token_ids_is_asked_without_them():
    with OpenAIServerDouble(refuse_token_ids=True) as server:
        m = _model(server)
        server.reply_with(PICK, PICK)
        c = m.complete(_ask(), ActionChoice)
        assert c.parsed.skill == "pick" and c.completion_token_ids is None and not m.token_ids
        assert m.complete(_ask(), ActionChoice).parsed.skill == "pick"
        assert "return_token_ids" in server.requests[0]
        assert all("return_token_ids" not in r for r in server.requests[1:])


def _dead_url() -> str:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def test_an_unreachable_server_is_one_line_naming_the_url_and_the_fix(server):
    url = _dead_url()
    for check in (lambda: OpenAIModel("some-model", base_url=url).check(),
                  lambda: check_spec("openai:some-model", base_url=url)):
        with pytest.raises(ModelUnreachable) as e:
            check()
        said = str(e.value)
        assert url.removesuffix("/v1") in said and "--base-url" in said and "OPENAI_BASE_URL" in said
        assert "\n" not in said
    check_spec("openai:double-vlm", base_url=server.base_url)  # a live server passes


def test_a_local_model_path_without_a_model_is_unreachable(tmp_path):
    with pytest.raises(ModelUnreachable, match="no model there"):
        check_spec(f"hf:{tmp_path / 'nothing-here'}")
