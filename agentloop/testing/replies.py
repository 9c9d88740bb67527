"""Replies built from the JSON schema a model is asked to fill, never from the prompt's wording.

A test double handed a schema (a role's reply model, or the `response_format` an OpenAI request
carries) answers with a value that validates against it: every property present, a `const`
or an `enum` member where the schema names them, a branch of an `anyOf`, numbers inside their
bounds. The grounded schemas the planner sends list only the skills and node ids in view, so
the reply names a real skill with real arguments. Rewording a prompt cannot break it, and a
field added to a reply model is filled as soon as it is declared.

Where the schema leaves a choice (an `anyOf` branch, an `enum` member), `SchemaReplies` takes
one in turn, so successive replies walk through the skills and the ids; a test steers it with
`values` (a fixed value at a path such as `"accept"` or `"next_action.args.lamp"`) or `choose`
(a function of the path and the options, returning the index to take).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel

JSONSchema = dict[str, Any]
Chooser = Callable[[str, list[Any]], int]  # (path, options) -> index of the option to take
TEXT = "double"  # every free-text field's value: the double's mark in a record


class SchemaReplies:
    """Values valid for a JSON schema, choices taken in turn or as a test steers them (see the
    module's docstring). Thread-safe: a server double answers from several threads."""

    def __init__(self, values: Mapping[str, Any] | None = None, choose: Chooser | None = None):
        self.values = dict(values or {})
        self.choose = choose
        self.turn = 0  # replies built so far: the default choice rotates with it
        self._lock = threading.Lock()

    def reply(self, schema: JSONSchema | type[BaseModel]) -> Any:
        """A value valid for `schema` (a JSON schema, or a pydantic model's)."""
        js = schema.model_json_schema() if isinstance(schema, type) else schema
        with self._lock:
            turn, self.turn = self.turn, self.turn + 1
        return _Build(self, js, turn).value(js, "")

    def text(self, schema: JSONSchema | type[BaseModel] | None) -> str:
        """The reply as the model would write it: JSON (an empty object with no schema)."""
        return json.dumps({} if schema is None else self.reply(schema))

    def pick(self, path: str, options: list[Any], turn: int) -> int:
        """The option to take at `path`: the test's choice, else the one `turn` comes to."""
        if self.choose is not None:
            return self.choose(path, options)
        return turn % len(options)


class _Build:
    """One reply under construction: the root schema (for `$ref`) and the turn it is built in."""

    def __init__(self, replies: SchemaReplies, root: JSONSchema, turn: int):
        self.replies, self.root, self.turn = replies, root, turn

    def value(self, schema: JSONSchema, path: str) -> Any:
        if path in self.replies.values:
            return self.replies.values[path]
        schema = self.resolve(schema)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            options = list(schema["enum"])
            return options[self.replies.pick(path, options, self.turn)]
        branches = schema.get("anyOf") or schema.get("oneOf")
        if branches:
            return self.value(self.branch(branches, path), path)
        kind = schema.get("type")
        if isinstance(kind, list):  # ["string", "null"]: the first that is not null
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None and "properties" in schema:
            kind = "object"
        return self.typed(kind, schema, path)

    def branch(self, branches: list[JSONSchema], path: str) -> JSONSchema:
        """The `anyOf` branch to fill: one that is not null, unless the test picks it."""
        real = [b for b in branches if self.resolve(b).get("type") != "null"] or branches
        options = real if self.replies.choose is None else branches
        return options[self.replies.pick(path, options, self.turn)]

    def typed(self, kind: str | None, schema: JSONSchema, path: str) -> Any:
        if kind == "object":
            props = schema.get("properties", {})
            return {k: self.value(v, f"{path}.{k}" if path else k) for k, v in props.items()}
        if kind == "array":
            items = schema.get("items", {})
            return [self.value(items, f"{path}[{i}]") for i in range(int(schema.get("minItems", 0)))]
        if kind == "boolean":
            return True
        if kind in ("integer", "number"):
            return _number(schema, integer=kind == "integer")
        if kind == "string":
            return _string(schema)
        return None  # "null", or a schema that allows anything

    def resolve(self, schema: JSONSchema) -> JSONSchema:
        """`schema` with a `$ref` into the root's `$defs` followed."""
        ref = schema.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return schema
        found: Any = self.root
        for part in ref[2:].split("/"):
            found = found[part]
        return self.resolve(found)


def _number(schema: JSONSchema, integer: bool) -> int | float:
    """The middle of the bounds the schema gives (0 where it gives none)."""
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if low is not None and high is not None:
        mid = (low + high) / 2
    else:
        mid = low + 1 if low is not None else high - 1 if high is not None else 0
    return int(mid) if integer else float(mid)


def _string(schema: JSONSchema) -> str:
    """`TEXT`, cut or padded to the lengths the schema allows."""
    text = TEXT[: schema.get("maxLength", len(TEXT))]
    return text + "x" * max(0, int(schema.get("minLength", 0)) - len(text))


def request_schema(body: Mapping[str, Any]) -> JSONSchema | None:
    """The JSON schema an OpenAI chat request asks the reply to fit (`response_format`), if any."""
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        found = (fmt.get("json_schema") or {}).get("schema")
        return found if isinstance(found, dict) else None
    return None
