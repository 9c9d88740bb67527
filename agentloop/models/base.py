"""The model protocol and the tolerant JSON parsing every backend shares."""

from __future__ import annotations

import json
import re
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ValidationError
from typing_extensions import Unpack

from agentloop.errors import ConfigError
from agentloop.models.types import Completion, Message, Sampling


class ModelUnreachable(ConfigError):
    """The model a run names cannot be reached or loaded: one line naming where and the fix."""


@runtime_checkable
class Model(Protocol):
    """A backend: `complete(messages, schema=None, **sampling) -> Completion`.

    Sampling keywords understood by every backend are those of `Sampling` (temperature,
    max_tokens, seed, ...).
    Transport failures after retries raise `agentloop.errors.ModelError`; a reply that does
    not fit `schema` is returned with `parse_error` set, so callers can feed it back.

    Optional, where a backend has them: `check()` raises `ModelUnreachable` when the model
    cannot be reached (called once before a run starts), and `accepts_images` (default True)
    says whether frames may be sent; roles leave them out for a text-only model.
    """

    name: str

    def complete(self, messages: list[Message], schema: type[BaseModel] | None = None,
                 **sampling: Unpack[Sampling]) -> Completion:
        """Answer `messages`; with `schema`, parse the reply into it (see the class docstring)."""


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)


def extract_json(text: str) -> object:
    """The first JSON object in `text`: plain, inside a code fence, or surrounded by prose."""
    text = text.strip()
    if not text:
        raise ValueError("empty reply")
    candidates = [text] + [m.group(1).strip() for m in _FENCE.finditer(text)]
    start = text.find("{")
    if start >= 0:
        candidates.append(text[start:text.rfind("}") + 1])
    for c in candidates:
        try:
            return json.loads(c)
        except (json.JSONDecodeError, ValueError):
            pass
    # A raw_decode from the first brace tolerates trailing prose after the object.
    if start >= 0:
        try:
            return json.JSONDecoder().raw_decode(text[start:])[0]
        except json.JSONDecodeError:
            pass
    raise ValueError(f"reply is not JSON: {text[:200]!r}")


def parse_into(completion: Completion, schema: type[BaseModel] | None) -> Completion:
    """Fill `parsed` / `parse_error` of a completion from its text."""
    if schema is None:
        return completion
    try:
        completion.parsed = schema.model_validate(extract_json(completion.text))
        completion.parse_error = None
    except (ValueError, ValidationError) as e:
        completion.parsed = None
        completion.parse_error = _short(e)
    return completion


def _short(e: Exception) -> str:
    if isinstance(e, ValidationError):
        return "reply does not fit the schema: " + "; ".join(
            f"{'.'.join(map(str, err['loc'])) or '<root>'}: {err['msg']}" for err in e.errors()[:5])
    return str(e)


def accepts_images(model: Model) -> bool:
    """Whether `model` takes images (a backend without the attribute is assumed to)."""
    return bool(getattr(model, "accepts_images", True))


def check_model(model: Model) -> None:
    """Raise `ModelUnreachable` if `model` says it cannot be reached (backends without a
    `check()` are taken as reachable)."""
    check = getattr(model, "check", None)
    if callable(check):
        check()
