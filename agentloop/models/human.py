"""A model backend answered by a person, or by any program that sits in the model's seat.

    human              the terminal: each request printed (its images saved as PNG files,
                       their paths printed), the reply typed as JSON
    human:stdio        JSON lines: one request object per line on stdout, one reply object
                       per line on stdin ({"id": N, "reply": {...}})
    human:web[:PORT]   a page at http://127.0.0.1:PORT/ (default 8765; 0 picks a free port)
                       showing each request with its images inline, and its endpoint for
                       programs: GET /request (the pending one, 204 when none; `?wait=S`
                       waits up to S seconds), POST /reply

Every reply is parsed against the request's schema exactly as a real model's would be, then
checked against the request's `reply_schema` itself (the skills listed and the ids in view,
where the role grounds it); one that does not fit is refused with the message and the same
request is asked again (`attempt` counts the tries, `error` says what was wrong), so a slip
is never a crash. Where a role refuses an accepted reply further on (its own checks) and asks
again, the new request carries that reason as its `error`, its `attempt` counting on. The
accepted reply is returned as the call's completion, and the roles record it as a model call
like any other: what a person answers is SFT data in the runtime's exact prompt format.

One request is open at a time: the episodes of a run with `--concurrency` above 1 run on
threads and their requests queue, answered in the order they came. The backend lives in the
run's own process, so `--workers` must stay 1.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import re
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from typing_extensions import Unpack

from agentloop.errors import ConfigError, ModelError, ModelUnreachable
from agentloop.models.base import parse_into
from agentloop.models.human_wire import (
    Channel,
    HumanRequest,
    RequestMessage,
    RequestPart,
    Validate,
    read_reply,
    schema_problem,
)
from agentloop.models.types import Completion, ImagePart, Message, Sampling, Usage

DEFAULT_PORT = 8765
# Requests answered lately, kept to tell a role's re-ask (the same messages, the reply and the
# reason it was refused) from a new request; one per concurrent episode is enough.
RECENT = 32


class HumanMode(str, Enum):
    """Where the requests are shown and the replies come from."""

    TERMINAL = "terminal"
    STDIO = "stdio"
    WEB = "web"


class HumanSpec(BaseModel):
    """A parsed `human[:MODE[:PORT]]` spec."""

    mode: HumanMode = HumanMode.TERMINAL
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)

    @classmethod
    def parse(cls, spec: str) -> HumanSpec:
        """`human`, `human:terminal`, `human:stdio`, `human:web` or `human:web:PORT`."""
        kind, _, rest = spec.partition(":")
        mode_text, _, port_text = rest.partition(":")
        try:
            if kind != "human":
                raise ValueError("not a human spec")
            mode = HumanMode(mode_text or HumanMode.TERMINAL.value)
            if port_text and mode is not HumanMode.WEB:
                raise ValueError("only the web mode takes a port")
            return cls(mode=mode, port=int(port_text) if port_text else DEFAULT_PORT)
        except (ValueError, ValidationError):
            raise ConfigError(f"model spec {spec!r}: expected human, human:stdio or human:web[:PORT]") from None


def check_human(spec: str) -> None:
    """Before a run: the spec's form, and for the web mode that its port can be served."""
    parsed = HumanSpec.parse(spec)
    if parsed.mode is not HumanMode.WEB or parsed.port == 0:
        return
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will
        try:
            probe.bind(("127.0.0.1", parsed.port))
        except OSError as e:
            raise ModelUnreachable(f"--model {spec}: cannot serve on 127.0.0.1:{parsed.port} ({e.strerror}); "
                                   "name another port, human:web:PORT, or 0 for any free one") from None


def in_terminal(spec: str | None) -> bool:
    """Whether `spec` names the terminal mode: a run's live progress display must stay off,
    or it would redraw over the request and the reply being typed."""
    return spec is not None and spec.partition(":")[0] == "human" and HumanSpec.parse(spec).mode is HumanMode.TERMINAL


def _safe_name(ref: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", ref) or "image"


def _schema_of(schema: type[BaseModel] | None) -> dict[str, Any] | None:
    return schema.model_json_schema() if schema is not None else None


class HumanModel:
    """A `Model` whose replies come from a person or a program, through a `Channel`."""

    accepts_images = True
    trained_for = None

    def __init__(self, spec: str = "human", image_dir: Path | None = None):
        if multiprocessing.parent_process() is not None:
            raise ConfigError(f"--model {spec} answers in the run's own process: run it with --workers 1 "
                              "(episodes on threads, --concurrency, queue their requests)")
        self.spec = HumanSpec.parse(spec)
        self.name = "human" if self.spec.mode is HumanMode.TERMINAL else f"human:{self.spec.mode.value}"
        # Images a request shows are files a person (or program) opens; a folder of the model's
        # own is removed at close, one that was given is the caller's.
        self._own_dir = image_dir is None
        self.image_dir = image_dir or Path(tempfile.mkdtemp(prefix="agentloop-human-"))
        self._lock = threading.Lock()  # one open request at a time: the others queue here
        self._count = 0
        self._answered: deque[tuple[list[Message], str, int]] = deque(maxlen=RECENT)
        self.channel = self._channel()

    def _channel(self) -> Channel:
        if self.spec.mode is HumanMode.STDIO:
            return StdioChannel()
        if self.spec.mode is HumanMode.WEB:
            from agentloop.models.human_web import WebChannel

            return WebChannel(self.spec.port)
        from agentloop.models.human_terminal import TerminalChannel

        return TerminalChannel()

    def complete(self, messages: list[Message], schema: type[BaseModel] | None = None,
                 **sampling: Unpack[Sampling]) -> Completion:
        """Ask until a reply fits `schema`; the accepted one is the completion."""
        with self._lock:
            self._count += 1
            attempt, error = self._reasked(messages)
            request = HumanRequest(id=self._count, model=self.name, schema_name=schema.__name__ if schema else None,
                                   reply_schema=_schema_of(schema), messages=self._messages(messages),
                                   attempt=attempt, error=error)
            started = time.perf_counter()
            text = self.channel.ask(request, lambda reply: _refusal(reply, schema))
            self._answered.append((list(messages), text, request.attempt))
            c = Completion(text=text, model=self.name, latency_s=time.perf_counter() - started,
                           usage=Usage(), model_id=self.name, finish_reason="stop")
            return parse_into(c, schema)

    def _reasked(self, messages: list[Message]) -> tuple[int, str | None]:
        """(attempt, error) for a request: a role that refused an answered reply asks again
        with the same messages, that reply and a user turn saying why (the retry prompt); the
        reason becomes the request's `error`, and its `attempt` counts on from that reply's."""
        if len(messages) < 2 or messages[-2].role != "assistant" or messages[-1].role != "user":
            return 0, None
        said, before = messages[-2].text(), messages[:-2]
        for sent, text, attempt in reversed(self._answered):
            if (text.strip() or "(empty)") == said.strip() and sent == before:
                return attempt + 1, messages[-1].text()
        return 0, None

    def _messages(self, messages: list[Message]) -> list[RequestMessage]:
        out = []
        for m in messages:
            parts = [RequestPart(type="image", ref=p.ref, path=str(self._save(p))) if isinstance(p, ImagePart)
                     else RequestPart(type="text", text=p.text) for p in m.parts()]
            out.append(RequestMessage(role=m.role, content=parts))
        return out

    def _save(self, image: ImagePart) -> Path:
        """The image as a PNG file, named by its reference and its content (references such as
        `frame:step0` recur from episode to episode)."""
        digest = hashlib.sha1(image.png).hexdigest()[:10]
        path = self.image_dir / f"{_safe_name(image.ref)}-{digest}.png"
        if not path.exists():
            path.write_bytes(image.png)
        return path

    def close(self) -> None:
        """Stop the channel (the web server, where there is one) and remove the images' own folder."""
        self.channel.close()
        if self._own_dir:
            shutil.rmtree(self.image_dir, ignore_errors=True)


def _refusal(text: str, schema: type[BaseModel] | None) -> str | None:
    """Why `text` would be refused as a reply to `schema`, or None: the parser's own message,
    else where the reply, as parsed (with the defaults of what it leaves out), breaks the JSON
    schema the request shows (a skill not listed, an id not in view, an argument's type)."""
    if not text.strip():
        return "empty reply"
    c = parse_into(Completion(text=text, model="human"), schema)
    if c.parse_error is not None or schema is None or c.parsed is None:
        return c.parse_error
    return schema_problem(c.parsed.model_dump(mode="json"), schema.model_json_schema())


class StdioChannel:
    """JSON lines: a request per line on stdout, a reply per line on stdin. Other output of
    the run (the summary table) may share stdout: a reader takes the lines that are JSON
    objects with `"kind": "request"`. A refused reply is answered by the same request again,
    its `attempt` and `error` set."""

    def __init__(self, read: Callable[[], str] | None = None, write: Callable[[str], None] | None = None):
        self._read = read or sys.stdin.readline
        self._write = write or _print_line

    def ask(self, request: HumanRequest, validate: Validate) -> str:
        while True:
            self._write(request.model_dump_json(exclude_none=True))
            line = self._read()
            if not line:
                raise ModelError(f"{request.model}: input closed before request {request.id} was answered")
            text, error = read_reply(line, request)
            if text is not None:
                error = validate(text)
                if error is None:
                    return text
            request.attempt += 1
            request.error = error

    def close(self) -> None:
        """Nothing to stop: the streams belong to the process."""


def _print_line(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
