"""One recorded model call: build messages, call, parse, retry bad replies, record everything."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from pydantic import BaseModel

from agentloop.errors import ModelError
from agentloop.models.types import Completion, ImagePart, Message, TextPart
from agentloop.prompts import render
from agentloop.records import ModelCallRecord

# Checks a parsed reply beyond its schema (unknown skill, wrong argument types, unseen object);
# returns a problem to feed back, or None.
Check = Callable[[BaseModel], "str | None"]


def user_message(text: str, frames: list[tuple[np.ndarray | None, str]]) -> Message:
    parts: list[Any] = [TextPart(text=text)]
    for frame, ref in frames:
        if frame is not None:
            parts.append(ImagePart.from_array(frame, ref=ref))
    return Message(role="user", content=parts)


def system_message(role: str, embodiment: str) -> Message:
    return Message(role="system", content=render("system.j2", role=role, embodiment=embodiment))


def call_json(
    model: Any,
    role: str,
    messages: list[Message],
    schema: type[BaseModel],
    calls: list[ModelCallRecord],
    retries: int = 2,
    check: Check | None = None,
    **sampling: Any,
) -> tuple[BaseModel | None, str | None]:
    """Ask `model` for `schema`; a reply that is empty, not JSON, off-schema or fails `check`
    is recorded and fed back for up to `retries` more tries. Returns (parsed, last error).
    Transport failures (ModelError) are recorded and re-raised."""
    msgs = list(messages)
    error: str | None = None
    for _ in range(retries + 1):
        try:
            c: Completion = model.complete(msgs, schema, **sampling)
        except ModelError as e:
            calls.append(_record(role, model, msgs, None, error=str(e)))
            raise
        error = c.parse_error
        if error is None and c.parsed is not None and check is not None:
            error = check(c.parsed)
        calls.append(_record(role, model, msgs, c, error=error))
        if error is None and c.parsed is not None:
            return c.parsed, None
        error = error or "empty reply"
        msgs = msgs + [Message(role="assistant", content=c.text or "(empty)"),
                       Message(role="user", content=render("retry.j2", error=error))]
    return None, error


def _record(role: str, model: Any, msgs: list[Message], c: Completion | None, error: str | None) -> ModelCallRecord:
    parsed = c.parsed.model_dump(mode="json") if c is not None and isinstance(c.parsed, BaseModel) else None
    return ModelCallRecord(
        role=role, model=getattr(model, "name", type(model).__name__),
        prompt=[m.for_record() for m in msgs], raw=c.text if c else "", parsed=parsed, error=error,
        latency_s=c.latency_s if c else 0.0,
        prompt_tokens=c.usage.prompt_tokens if c else None,
        completion_tokens=c.usage.completion_tokens if c else None,
        logprob_sum=c.logprob_sum if c else None, mean_entropy=c.mean_entropy if c else None,
        token_logprobs=c.token_logprobs if c else None,
    )
