"""One recorded model call: call, parse, retry bad replies, record everything token-exact."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel
from typing_extensions import Unpack

from agentloop.errors import ModelError
from agentloop.models import Completion, Message, Model, Sampling
from agentloop.prompt_spec import prompt_version
from agentloop.prompts import render
from agentloop.records import CallRole, ModelCallRecord

Reply = TypeVar("Reply", bound=BaseModel)

# Checks a parsed reply beyond its schema (unknown skill, wrong argument types, unseen object);
# returns a problem to feed back, or None.
Check = Callable[[BaseModel], "str | None"]


class UnusableReply(Exception):
    """Every try gave a reply that is empty, not JSON, off-schema or failed its check. Each
    try is recorded already; `reason` is the last one's problem, for the caller's verdict."""

    def __init__(self, reason: str, raw: str | None):
        super().__init__(reason)
        self.reason = reason
        self.raw = raw  # the last reply as the model wrote it ("" or None when there was none)


def call_json(
    model: Model,
    role: CallRole,
    messages: list[Message],
    schema: type[Reply],
    calls: list[ModelCallRecord],
    retries: int = 2,
    check: Check | None = None,
    candidate: int | None = None,
    **sampling: Unpack[Sampling],
) -> Reply:
    """Ask `model` for `schema`; a reply that is empty, not JSON, off-schema or fails `check`
    is recorded and fed back for up to `retries` more tries (as pydantic-ai's `ModelRetry`),
    then `UnusableReply` is raised. Transport failures (ModelError) are recorded and
    re-raised. `candidate` is the index of the step's candidate the call is for."""
    msgs = list(messages)
    error, raw = "empty reply", None
    meta: dict[str, Any] = {"role": role, "candidate": candidate, "sampling": dict(sampling)}
    for attempt in range(retries + 1):
        try:
            c = model.complete(msgs, schema, **sampling)
        except ModelError as e:
            calls.append(_record(model, msgs, None, error=str(e), attempt=attempt, **meta))
            raise
        parsed = c.parsed if isinstance(c.parsed, schema) else None
        problem = c.parse_error
        if problem is None and parsed is not None and check is not None:
            problem = check(parsed)
        calls.append(_record(model, msgs, c, error=problem, attempt=attempt, **meta))
        if problem is None and parsed is not None:
            return parsed
        error, raw = problem or "empty reply", c.text
        msgs = msgs + [Message(role="assistant", content=c.text or "(empty)"),
                       Message(role="user", content=render("retry.j2", error=error))]
    raise UnusableReply(error, raw)


def _record(model: Model, msgs: list[Message], c: Completion | None, error: str | None, attempt: int,
            role: CallRole, candidate: int | None, sampling: dict[str, Any]) -> ModelCallRecord:
    base = ModelCallRecord(role=role, model=model.name, prompt=[m.for_record() for m in msgs], error=error,
                           sampling=sampling, prompt_version=prompt_version(), candidate=candidate, attempt=attempt)
    if c is None:
        return base
    return base.model_copy(update={
        "raw": c.text, "parsed": c.parsed.model_dump(mode="json") if c.parsed is not None else None,
        "latency_s": c.latency_s, "prompt_tokens": c.usage.prompt_tokens,
        "completion_tokens": c.usage.completion_tokens, "logprob_sum": c.logprob_sum,
        "mean_entropy": c.mean_entropy, "token_logprobs": c.token_logprobs,
        "prompt_token_ids": c.prompt_token_ids, "completion_token_ids": c.completion_token_ids,
        "model_id": c.model_id, "model_revision": c.model_revision,
    })
