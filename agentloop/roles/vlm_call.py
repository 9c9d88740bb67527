"""One recorded model call: build messages, call, parse, retry bad replies, record everything."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numpy as np
from pydantic import BaseModel
from typing_extensions import Unpack

from agentloop.errors import ModelError
from agentloop.models import Completion, ImagePart, Message, Model, Sampling, TextPart
from agentloop.models.types import Part
from agentloop.prompts import render
from agentloop.records import ModelCallRecord

Reply = TypeVar("Reply", bound=BaseModel)

# Checks a parsed reply beyond its schema (unknown skill, wrong argument types, unseen object);
# returns a problem to feed back, or None.
Check = Callable[[BaseModel], "str | None"]


def user_message(text: str, frames: list[tuple[np.ndarray | None, str]]) -> Message:
    """A user turn: the prompt text, then each frame there is (named by its reference)."""
    parts: list[Part] = [TextPart(text=text)]
    parts += [ImagePart.from_array(frame, ref=ref) for frame, ref in frames if frame is not None]
    return Message(role="user", content=parts)


def system_message(role: str, embodiment: str) -> Message:
    return Message(role="system", content=render("system.j2", role=role, embodiment=embodiment))


def call_json(
    model: Model,
    role: str,
    messages: list[Message],
    schema: type[Reply],
    calls: list[ModelCallRecord],
    retries: int = 2,
    check: Check | None = None,
    **sampling: Unpack[Sampling],
) -> tuple[Reply | None, str | None]:
    """Ask `model` for `schema`; a reply that is empty, not JSON, off-schema or fails `check`
    is recorded and fed back for up to `retries` more tries. Returns (parsed, last error).
    Transport failures (ModelError) are recorded and re-raised."""
    msgs = list(messages)
    error: str | None = None
    for _ in range(retries + 1):
        try:
            c = model.complete(msgs, schema, **sampling)
        except ModelError as e:
            calls.append(_record(role, model, msgs, None, error=str(e)))
            raise
        parsed = c.parsed if isinstance(c.parsed, schema) else None
        error = c.parse_error
        if error is None and parsed is not None and check is not None:
            error = check(parsed)
        calls.append(_record(role, model, msgs, c, error=error))
        if error is None and parsed is not None:
            return parsed, None
        error = error or "empty reply"
        msgs = msgs + [Message(role="assistant", content=c.text or "(empty)"),
                       Message(role="user", content=render("retry.j2", error=error))]
    return None, error


def _record(role: str, model: Model, msgs: list[Message], c: Completion | None, error: str | None) -> ModelCallRecord:
    prompt = [m.for_record() for m in msgs]
    if c is None:
        return ModelCallRecord(role=role, model=model.name, prompt=prompt, error=error)
    return ModelCallRecord(
        role=role, model=model.name, prompt=prompt, raw=c.text,
        parsed=c.parsed.model_dump(mode="json") if c.parsed is not None else None, error=error,
        latency_s=c.latency_s, prompt_tokens=c.usage.prompt_tokens, completion_tokens=c.usage.completion_tokens,
        logprob_sum=c.logprob_sum, mean_entropy=c.mean_entropy, token_logprobs=c.token_logprobs,
    )
