"""A test double of an OpenAI-compatible chat server on a real loopback socket.

It speaks the real protocol (`POST /v1/chat/completions`, `GET /v1/models`) so the HTTP backend
is exercised end to end through the `openai` SDK: per-call latency, scripted replies, injected
429/5xx errors, malformed and empty replies, and `stop()` to make the server vanish mid-run.
Asked for them as vLLM is (`logprobs`, `return_token_ids`), it returns per-token
log-probabilities and the prompt's and completion's token ids from a stand-in word-level
tokenizer (`double_token_ids`); `refuse_token_ids=True` makes it reject `return_token_ids`
the way a server without the extension does.
It is a double: it does not run a model. Its default replies are built from the JSON schema the
request's `response_format` carries (`agentloop.testing.replies`), never from the prompt's
wording: the planner's grounded schemas name the skills and node ids in view, so the replies
drive the loop; `server.replies` steers their choices.

    with OpenAIServerDouble(latency_s=0.5) as server:
        os.environ["OPENAI_BASE_URL"] = server.base_url
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from pydantic import BaseModel

from agentloop.testing.replies import SchemaReplies, request_schema

JSON = dict[str, Any]  # a request or response body
Responder = Callable[[JSON], str]


class Fault(BaseModel):
    """One injected misbehaviour, consumed by the next request."""

    kind: Literal["status", "malformed", "empty", "drop", "no_choices"]
    status: int = 500


class OpenAIServerDouble:
    """An OpenAI-compatible chat server on a loopback port that replies from a script, a
    responder function or the request's schema, and misbehaves on request (see the module)."""

    def __init__(self, latency_s: float = 0.0, responder: Responder | None = None, host: str = "127.0.0.1",
                 port: int = 0, refuse_token_ids: bool = False):
        self.latency_s = latency_s
        self.refuse_token_ids = refuse_token_ids
        self.replies = SchemaReplies()  # the default replies; a test may steer their choices
        self.responder = responder or schema_responder(self.replies)
        self.script: deque[str] = deque()       # replies used before the responder
        self.faults: deque[Fault] = deque()     # misbehaviours used before anything else
        self.requests: list[JSON] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._conns: set[socket.socket] = set()  # open client sockets, closed by stop()
        self._httpd = _QuietServer((host, port), _handler(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- control ---------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else host
        return f"http://{name}:{port}/v1"

    def start(self) -> OpenAIServerDouble:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="openai-double", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket: later requests find nobody listening."""
        self._httpd.shutdown()
        self._httpd.server_close()
        # Kept-alive connections would otherwise go on being served by their threads.
        with self._lock:
            conns, self._conns = list(self._conns), set()
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
                c.close()
            except OSError:
                pass

    def __enter__(self) -> OpenAIServerDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):  # already stopped by the test itself
            self.stop()

    def reply_with(self, *texts: str) -> None:
        self.script.extend(texts)

    def fail_with(self, *faults: Fault) -> None:
        self.faults.extend(faults)

    # -- serving ---------------------------------------------------------------------------
    def _next(self, body: JSON) -> tuple[Fault | None, str]:
        with self._lock:
            self.requests.append(body)
            if self.faults:
                return self.faults.popleft(), ""
            if self.script:
                return None, self.script.popleft()
        return None, self.responder(body)

    def completion(self, body: JSON, text: str, with_choices: bool = True) -> JSON:
        """A chat-completion body for `text`, with word counts as usage and, when the request
        asks for them, fixed log-probabilities and the token ids (as vLLM gives them)."""
        prompt_words = sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))
        out: JSON = {
            "id": f"chatcmpl-double-{next(self._ids)}", "object": "chat.completion",
            "created": int(time.time()), "model": body.get("model", "double"),
            "choices": [], "usage": {"prompt_tokens": prompt_words, "completion_tokens": len(text.split()),
                                     "total_tokens": prompt_words + len(text.split())},
        }
        if with_choices:
            choice: JSON = {"index": 0, "finish_reason": "stop",
                                      "message": {"role": "assistant", "content": text}}
            toks = text.split() or [""]
            if body.get("logprobs"):
                # Deterministic per-token numbers so clients can be checked end to end.
                choice["logprobs"] = {"content": [
                    {"token": t, "logprob": -0.1, "bytes": None,
                     "top_logprobs": [{"token": t, "logprob": -0.1, "bytes": None},
                                      {"token": "_", "logprob": -2.4, "bytes": None}]} for t in toks]}
            if body.get("return_token_ids"):
                choice["token_ids"] = double_token_ids(toks)
            out["choices"] = [choice]
        if body.get("return_token_ids"):
            out["prompt_token_ids"] = double_token_ids(chat_prompt(body).split())
        return out


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # Clients that hang up (timeouts, stop()) are expected here, not errors of the double.
        pass


class _Handler(BaseHTTPRequestHandler):
    """The double's HTTP face; `double` is set on the subclass made for each server."""

    protocol_version = "HTTP/1.1"
    double: OpenAIServerDouble

    def setup(self) -> None:
        super().setup()
        with self.double._lock:
            self.double._conns.add(self.connection)

    def finish(self) -> None:
        with self.double._lock:
            self.double._conns.discard(self.connection)
        with contextlib.suppress(OSError):  # the client is already gone
            super().finish()

    def log_message(self, format: str, *args: object) -> None:  # quiet: tests read `server.requests`
        pass

    def _send(self, status: int, payload: bytes, ctype: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._send(200, json.dumps({"object": "list", "data": [{"id": "double", "object": "model"}]}).encode())
        else:
            self._send(404, b'{"error": {"message": "not found"}}')

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send(404, b'{"error": {"message": "not found"}}')
            return
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            self._send(400, b'{"error": {"message": "body is not JSON"}}')
            return
        if self.double.refuse_token_ids and "return_token_ids" in body:
            with self.double._lock:
                self.double.requests.append(body)
            msg = {"error": {"message": "Unrecognized request argument supplied: return_token_ids",
                             "type": "invalid_request_error"}}
            self._send(400, json.dumps(msg).encode())
            return
        if self.double.latency_s:
            time.sleep(self.double.latency_s)
        fault, text = self.double._next(body)
        if fault is not None:
            self._misbehave(fault, body)
        else:
            self._send(200, json.dumps(self.double.completion(body, text)).encode())

    def _misbehave(self, fault: Fault, body: JSON) -> None:
        if fault.kind == "status":
            msg = json.dumps({"error": {"message": f"injected HTTP {fault.status}", "type": "double"}})
            self._send(fault.status, msg.encode())
        elif fault.kind == "malformed":
            self._send(200, b"{this is not json")
        elif fault.kind == "empty":
            self._send(200, json.dumps(self.double.completion(body, "")).encode())
        elif fault.kind == "no_choices":
            self._send(200, json.dumps(self.double.completion(body, "", with_choices=False)).encode())
        elif fault.kind == "drop":
            self.close_connection = True
            self.connection.close()


def _handler(double: OpenAIServerDouble) -> type[_Handler]:
    return type("Handler", (_Handler,), {"double": double})


def double_token_ids(words: list[str]) -> list[int]:
    """The stand-in tokenizer's ids: one per whitespace-separated word, a stable hash of it."""
    return [zlib.crc32(w.encode()) % 50_000 for w in words]


def chat_prompt(body: JSON) -> str:
    """The request's messages as the stand-in chat template renders them."""
    turns = [f"<|{m.get('role', 'user')}|> {_content_text(m.get('content'))}" for m in body.get("messages", [])]
    return " ".join([*turns, "<|assistant|>"])


def _content_text(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def schema_responder(replies: SchemaReplies) -> Responder:
    """Replies built from the schema each request's `response_format` carries (`{}` for a
    request without one): the grounded schemas name the skills and ids in view."""

    def respond(body: JSON) -> str:
        return replies.text(request_schema(body))

    return respond
