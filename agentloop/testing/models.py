"""Model doubles for testing model-driven agents without a model server.

`FunctionModel` (re-exported) runs any function; `ScriptedModel` replays replies per prompt kind
(plan, reflect, action, critic, validator) and records what each was asked; `TestModel` answers
every prompt with schema-shaped JSON built from the prompt itself, like the server double.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable, Mapping

from pydantic import BaseModel

from agentloop.models.function import FunctionModel
from agentloop.models.types import Message, Sampling
from agentloop.testing.openai_server import default_responder

__all__ = ["FunctionModel", "ScriptedModel", "TestModel", "prompt_kind"]

# A scripted reply: text, a JSON object, or a function of the prompt text giving either.
Reply = str | Mapping[str, object] | Callable[[str], "str | Mapping[str, object]"]
Fallback = Callable[[str, str], Reply]  # (prompt kind, prompt text) -> reply


def prompt_kind(messages: list[Message]) -> str:
    """Which prompt this is: plan, reflect, action, critic, validator or retry."""
    text = "\n".join(m.text() for m in messages if m.role == "user")
    last = messages[-1].text() if messages else ""
    if len(messages) > 2 and "could not be used" in last:
        return "retry"
    for marker, kind in (("Stage one", "plan"), ("Stage two", "reflect"),
                         ("predict what this action will do", "critic"),
                         ("Did the action achieve its intent", "validator"),
                         ("Name the single next skill call", "action"), ("Next skill call as JSON", "action")):
        if marker in text:
            return kind
    return "other"


def _text(reply: Reply, prompt: str) -> str:
    if callable(reply):
        reply = reply(prompt)
    return reply if isinstance(reply, str) else json.dumps(reply)


class ScriptedModel(FunctionModel):
    """Replies from per-kind queues; when a queue runs dry the `fallback` answers (by default
    the schema-shaped `TestModel` reply). A reply may be text, a dict (sent as JSON) or a
    function of the prompt text. `asked[kind]` keeps every prompt text of that kind, and
    `sampling` the kind and sampling settings of every call."""

    def __init__(self, replies: Mapping[str, Iterable[Reply]] | None = None, fallback: Fallback | None = None,
                 name: str = "scripted"):
        self.queues: dict[str, deque[Reply]] = {k: deque(v) for k, v in (replies or {}).items()}
        self.fallback = fallback
        self.asked: dict[str, list[str]] = {}
        self.sampling: list[dict[str, object]] = []
        super().__init__(self._reply, name=name)

    def _reply(self, messages: list[Message], schema: type[BaseModel] | None, sampling: Sampling) -> str:
        kind = prompt_kind(messages)
        prompt = "\n".join(m.text() for m in messages)
        self.asked.setdefault(kind, []).append(prompt)
        self.sampling.append({"kind": kind, **sampling})
        q = self.queues.get(kind)
        if q:
            return _text(q.popleft(), prompt)
        if kind == "retry":
            # A retry repeats the original prompt's kind when no retry reply is scripted.
            kind = prompt_kind([m for m in messages if m.role != "assistant"][:2])
            q = self.queues.get(kind)
            if q:
                return _text(q.popleft(), prompt)
        if self.fallback is not None:
            return _text(self.fallback(kind, prompt), prompt)
        return _default(messages)


class TestModel(FunctionModel):
    """Answers every prompt with valid, schema-shaped JSON derived from the prompt."""

    __test__ = False  # not a pytest class

    def __init__(self, name: str = "test"):
        super().__init__(lambda messages, schema, sampling: _default(messages), name=name)


def _default(messages: list[Message]) -> str:
    return default_responder({"messages": [{"role": m.role, "content": m.text()} for m in messages]})
