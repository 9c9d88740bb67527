"""Model doubles for testing model-driven agents without a model server.

`FunctionModel` (re-exported) runs any function; `ScriptedModel` replays replies per reply kind
and records what each was asked; `TestModel` answers every call with a reply built from the
schema it is asked to fill (`agentloop.testing.replies`), like the server double.

A call's kind is told by its schema, never by the prompt's wording: the planner's stages
(`PlanReply`, `ReflectReply`, `ActionChoice`), the critic's and the validator's replies. A call
whose turns already hold a reply of the model is a retry after an unusable one.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from enum import Enum
from typing import Any

from pydantic import BaseModel

from agentloop.models.function import FunctionModel
from agentloop.models.types import Message, Sampling
from agentloop.prompts.schemas import ActionChoice, CriticReply, PlanReply, ReflectReply, ValidatorReply
from agentloop.testing.replies import Chooser, SchemaReplies

__all__ = ["FunctionModel", "ReplyKind", "ScriptedModel", "TestModel", "reply_kind"]

# A scripted reply: text, a JSON object, or a function of the prompt text giving either.
Reply = str | Mapping[str, object] | Callable[[str], "str | Mapping[str, object]"]
Fallback = Callable[[str, str], Reply]  # (reply kind, prompt text) -> reply


class ReplyKind(str, Enum):
    """Which reply a call asks for; the keys of `ScriptedModel`'s queues."""

    PLAN = "plan"
    REFLECT = "reflect"
    ACTION = "action"
    CRITIC = "critic"
    VALIDATOR = "validator"
    RETRY = "retry"  # a call after an unusable reply, its turns holding that reply
    OTHER = "other"  # no schema, or one of no role


_SCHEMA_KINDS: tuple[tuple[type[BaseModel], ReplyKind], ...] = (
    (PlanReply, ReplyKind.PLAN), (ReflectReply, ReplyKind.REFLECT), (ActionChoice, ReplyKind.ACTION),
    (CriticReply, ReplyKind.CRITIC), (ValidatorReply, ReplyKind.VALIDATOR),
)


def schema_kind(schema: type[BaseModel] | None) -> ReplyKind:
    """The reply `schema` asks for (a grounded schema is a subclass of its role's)."""
    for cls, kind in _SCHEMA_KINDS:
        if schema is not None and issubclass(schema, cls):
            return kind
    return ReplyKind.OTHER


def reply_kind(messages: list[Message], schema: type[BaseModel] | None) -> ReplyKind:
    """The call's kind: a retry where the turns hold a reply already, else its schema's."""
    if any(m.role == "assistant" for m in messages):
        return ReplyKind.RETRY
    return schema_kind(schema)


def _text(reply: Reply, prompt: str) -> str:
    if callable(reply):
        reply = reply(prompt)
    return reply if isinstance(reply, str) else json.dumps(reply)


class ScriptedModel(FunctionModel):
    """Replies from per-kind queues (keyed by `ReplyKind` or its value); when a queue runs dry
    the `fallback` answers, else a reply built from the call's schema. A reply may be text, a
    dict (sent as JSON) or a function of the prompt text. `asked[kind]` keeps every prompt text
    of that kind, and `sampling` the kind and sampling settings of every call."""

    def __init__(self, replies: Mapping[str, Iterable[Reply]] | None = None, fallback: Fallback | None = None,
                 name: str = "scripted", schema_replies: SchemaReplies | None = None):
        self.queues: dict[str, deque[Reply]] = {ReplyKind(k).value: deque(v) for k, v in (replies or {}).items()}
        self.fallback = fallback
        self.replies = schema_replies or SchemaReplies()
        self.asked: dict[str, list[str]] = {}
        self.sampling: list[dict[str, object]] = []
        super().__init__(self._reply, name=name)

    def _reply(self, messages: list[Message], schema: type[BaseModel] | None, sampling: Sampling) -> str:
        kind = reply_kind(messages, schema)
        prompt = "\n".join(m.text() for m in messages)
        self.asked.setdefault(kind.value, []).append(prompt)
        self.sampling.append({"kind": kind.value, **sampling})
        q = self.queues.get(kind.value)
        if q:
            return _text(q.popleft(), prompt)
        if kind is ReplyKind.RETRY:
            # A retry repeats its schema's kind when no retry reply is scripted.
            kind = schema_kind(schema)
            q = self.queues.get(kind.value)
            if q:
                return _text(q.popleft(), prompt)
        if self.fallback is not None:
            return _text(self.fallback(kind.value, prompt), prompt)
        return self.replies.text(schema)


class TestModel(FunctionModel):
    """Answers every call with a valid reply built from its schema; `values` and `choose`
    steer the choices (see `SchemaReplies`)."""

    __test__ = False  # not a pytest class

    def __init__(self, name: str = "test", values: Mapping[str, Any] | None = None, choose: Chooser | None = None):
        self.replies = SchemaReplies(values, choose)
        super().__init__(lambda messages, schema, sampling: self.replies.text(schema), name=name)
