"""The model protocol and the tolerant JSON parsing every backend shares."""

from __future__ import annotations

import ast
import json
import re
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from pydantic import BaseModel, ValidationError
from typing_extensions import Unpack

from agentloop.calls import SkillCall, parse_expression
from agentloop.errors import ActionError, validation_problems
from agentloop.models.types import Completion, Message, Sampling

if TYPE_CHECKING:
    from agentloop.prompt_spec import TrainedFor


@runtime_checkable
class Model(Protocol):
    """A backend: `complete(messages, schema=None, **sampling) -> Completion`.

    Sampling keywords understood by every backend are those of `Sampling` (temperature,
    max_tokens, seed, ...).
    Transport failures after retries raise `agentloop.errors.ModelError`; a reply that does
    not fit `schema` is returned with `parse_error` set, so callers can feed it back.

    Optional, where a backend has them, each declared below as a protocol of its own and read
    through one function (a backend without it gets the default):

    - `check()` (`Reachable`, `check_model`): raises `ModelUnreachable` when the model cannot be
      reached; called once before a run starts. Default: reachable.
    - `accepts_images` (`ImageAware`, `accepts_images`): whether frames may be sent; roles leave
      them out for a text-only model. Default: True.
    - `trained_for` (`Trained`, `trained_for`): the prompts a fine-tuned model learned, so its
      planner renders the same ones. Default: None.
    """

    name: str

    def complete(self, messages: list[Message], schema: type[BaseModel] | None = None,
                 **sampling: Unpack[Sampling]) -> Completion:
        """Answer `messages`; with `schema`, parse the reply into it (see the class docstring)."""


@runtime_checkable
class Reachable(Protocol):
    """A backend that can say, before a run, whether its model can be reached."""

    def check(self) -> None:
        """Raise `ModelUnreachable` (one line naming where and the fix) when it cannot."""


@runtime_checkable
class ImageAware(Protocol):
    """A backend that says whether its model takes images."""

    accepts_images: bool


@runtime_checkable
class Trained(Protocol):
    """A backend whose model was fine-tuned on agentloop's prompts, and says which."""

    trained_for: TrainedFor | None


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


# A fenced block, whatever its language tag (```python, ```text, ```).
_BLOCK = re.compile(r"```[\w+-]*[ \t]*\n?(.*?)```", re.S)
# The field a reply names its skill call in, where `schema` asks for one: a call itself
# ({"skill": ..., "args": ...}) or a reply that commits to one (`next_action`).
_NEXT = "next_action"


def reply_data(text: str, schema: type[BaseModel]) -> object:
    """What a reply says, for `schema`: its JSON (`extract_json`), or, where `schema` asks for a
    skill call and the reply is one unambiguous call in the env's call syntax instead
    (`click(element="3")`, alone or alone in a code fence), that call in the schema's shape,
    parsed by the loop's own parser (`SkillCall.parse`). Anything else raises the JSON error."""
    slot = _call_slot(schema)
    whole = _call(text.strip()) if slot is not None else None  # a call: braces in it are its arguments'
    if whole is None:
        try:
            return extract_json(text)
        except ValueError:
            blocks = _BLOCK.findall(text) if slot is not None else []
            if len(blocks) != 1 or _call(blocks[0].strip()) is None:
                raise
            whole = _call(blocks[0].strip())
    assert whole is not None
    try:
        call = SkillCall.parse(whole)
    except ActionError as e:
        raise ValueError(f"reply is neither JSON nor a usable skill call: {e.message}") from None
    choice = {"skill": call.name, "args": call.args}
    return choice if slot == "" else {slot: choice}


def _call_slot(schema: type[BaseModel]) -> str | None:
    """Where `schema` takes a skill call: "" for the call itself, `next_action`, or None."""
    fields = schema.model_fields
    if "skill" in fields and "args" in fields:
        return ""
    return _NEXT if _NEXT in fields else None


def _call(text: str) -> str | None:
    """`text` where it is one call `name(...)` (not prose, several calls or a bare word)."""
    try:
        node = parse_expression(text).body
    except SyntaxError:
        return None
    return text if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) else None


def parse_into(completion: Completion, schema: type[BaseModel] | None) -> Completion:
    """Fill `parsed` / `parse_error` of a completion from its text (`reply_data`)."""
    if schema is None:
        return completion
    try:
        completion.parsed = schema.model_validate(reply_data(completion.text, schema))
        completion.parse_error = None
    except (ValueError, ValidationError) as e:
        completion.parsed = None
        completion.parse_error = _short(e)
    return completion


def _short(e: Exception) -> str:
    if isinstance(e, ValidationError):
        return "reply does not fit the schema: " + validation_problems(e, root="<root>", limit=5)
    return str(e)


def accepts_images(model: Model) -> bool:
    """Whether `model` takes images (True for a backend that does not say)."""
    return bool(model.accepts_images) if isinstance(model, ImageAware) else True


def check_model(model: Model) -> None:
    """Raise `ModelUnreachable` if `model` says it cannot be reached (a backend without a
    `check()` is taken as reachable)."""
    if isinstance(model, Reachable):
        model.check()


def trained_for(model: Model) -> TrainedFor | None:
    """The prompts `model` was fine-tuned on, if it says."""
    return model.trained_for if isinstance(model, Trained) else None
