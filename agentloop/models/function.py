"""A model whose replies come from a Python function: deterministic tests of model-driven roles."""

from __future__ import annotations

import time
from collections.abc import Callable

from pydantic import BaseModel
from typing_extensions import Unpack

from agentloop.models.base import parse_into
from agentloop.models.types import Completion, Message, Sampling, Usage

ReplyFn = Callable[[list[Message], "type[BaseModel] | None", Sampling], "str | Completion"]


class FunctionModel:
    """`fn(messages, schema, sampling)` returns the reply text (or a full `Completion`).

    The reply is parsed against the schema exactly as a real backend's would be, so a scripted
    reply that is not JSON or does not fit shows up as the same recorded error.
    """

    def __init__(self, fn: ReplyFn, name: str = "function"):
        self.fn = fn
        self.name = name
        self.calls: list[list[Message]] = []

    def complete(self, messages: list[Message], schema: type[BaseModel] | None = None,
                 **sampling: Unpack[Sampling]) -> Completion:
        self.calls.append(list(messages))
        t = time.perf_counter()
        out = self.fn(messages, schema, sampling)
        latency = time.perf_counter() - t
        if isinstance(out, Completion):
            return parse_into(out, schema) if out.parsed is None else out
        text = str(out)
        prompt_words = sum(len(m.text().split()) for m in messages)
        c = Completion(text=text, model=self.name, latency_s=latency,
                       usage=Usage(prompt_tokens=prompt_words, completion_tokens=len(text.split())))
        return parse_into(c, schema)

    async def acomplete(self, messages: list[Message], schema: type[BaseModel] | None = None,
                        **sampling: Unpack[Sampling]) -> Completion:
        return self.complete(messages, schema, **sampling)
