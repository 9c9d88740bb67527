"""What crosses between a human model and whoever answers it: a request (the messages as
sent, the reply's schema), a reply, and the channel that carries them. The channels (stdio in
`human`, the terminal in `human_terminal`, the page in `human_web`) all speak these."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from pydantic import BaseModel, Field, ValidationError

from agentloop.errors import validation_problems

Validate = Callable[[str], "str | None"]  # a reply's text -> why it is refused, or None


class RequestPart(BaseModel):
    """A piece of a request's message: text, or an image saved as a PNG file (and, on the
    web endpoint, given inline as a data URL)."""

    type: str  # "text" or "image", as in the recorded prompt
    text: str | None = None
    ref: str | None = None  # the image's short name in the record
    path: str | None = None  # the PNG file
    url: str | None = None  # data:image/png;base64,... (web endpoint only)


class RequestMessage(BaseModel):
    """One chat turn of a request."""

    role: str
    content: list[RequestPart]


class HumanRequest(BaseModel):
    """What the model is asked: the messages as sent, the schema the reply must fit, and,
    after a refused reply, why it was refused."""

    kind: str = "request"  # lets a program reading stdout tell requests from other lines
    id: int
    model: str
    schema_name: str | None = None
    reply_schema: dict[str, Any] | None = Field(default=None, description="JSON schema of the reply")
    messages: list[RequestMessage]
    attempt: int = 0  # replies refused so far
    error: str | None = None  # why the last reply was refused

    def text(self) -> str:
        """The request's text, turn by turn, images named by their files."""
        out = []
        for m in self.messages:
            body = "\n".join(p.text or "" if p.type == "text" else f"[image {p.ref}: {p.path}]" for p in m.content)
            out.append(f"--- {m.role} ---\n{body}")
        return "\n".join(out)


class HumanReply(BaseModel):
    """A reply: the request's id and the model's answer, as a JSON object or as text."""

    id: int
    reply: dict[str, Any] | list[Any] | str

    def text(self) -> str:
        """The reply as the model's completion text."""
        return self.reply if isinstance(self.reply, str) else json.dumps(self.reply, ensure_ascii=False)


class Channel(Protocol):
    """How requests reach whoever answers, and how their replies come back."""

    def ask(self, request: HumanRequest, validate: Validate) -> str:
        """Show `request` until a reply passes `validate`; return that reply's text. Raises
        `ModelError` when no one can answer any more (input closed, backend closed)."""

    def close(self) -> None:
        """Stop showing requests."""


def read_reply(data: str | object, request: HumanRequest) -> tuple[str | None, str | None]:
    """The reply text that `data` (a JSON line, or the object it holds) gives `request`, or why
    it gives none: (text, None) or (None, error)."""
    try:
        reply = HumanReply.model_validate_json(data) if isinstance(data, str) else HumanReply.model_validate(data)
    except ValidationError as e:
        return None, 'a reply is one JSON object, {"id": N, "reply": {...}}: ' + validation_problems(e, "<root>", 3)
    if reply.id != request.id:
        return None, f"reply to request {reply.id}, but the open request is {request.id}"
    return reply.text(), None


def schema_problem(data: object, schema: dict[str, Any]) -> str | None:
    """Why `data` (a reply as the parser reads it) does not fit the JSON schema `schema` (the
    request's `reply_schema`: the skills listed and the ids in view, where the role grounds
    it), or None."""
    error = best_match(Draft202012Validator(schema).iter_errors(data))
    return None if error is None else "reply does not fit the schema: " + _describe(error)


def _describe(error: Any) -> str:
    """One line for a jsonschema error: where it is and what is wrong. Where no branch of an
    `anyOf` fits (a skill call's variants), the branch whose `const` matches (the skill named)
    tells why; where none matches, the values allowed are listed."""
    if error.validator == "anyOf" and error.context:
        branches: dict[int, list[Any]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        options = error.validator_value
        named = [i for i, subs in branches.items() if not any(s.validator == "const" for s in subs)
                 and options[i].get("type") != "null"]
        if named:
            return _describe(best_match(branches[named[0]]))
        consts = [s for s in error.context if s.validator == "const"]
        if consts:
            allowed = ", ".join(json.dumps(s.validator_value) for s in consts)
            return f"{_where(consts[0])}: {json.dumps(consts[0].instance)} is not one of {allowed}"
    return f"{_where(error)}: {error.message}"


def _where(error: Any) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "<root>"
