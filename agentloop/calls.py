"""Skill specs and calls: what a planner is shown about a skill, and one invocation of it,
parsed from what a planner or a model wrote.

Text such as `place(object="red_cube", target="blue_bowl")`, JSON (`{"name": ..., "args":
...}`, as in OpenAI tool calls) or a mapping. Model output is parsed with `ast` into literals
only; it is never executed.
"""

from __future__ import annotations

import ast
import json
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, Field

from agentloop.errors import ActionError, ErrorKind

# CPython 3.11's parser keeps its recursion depth in shared state: when a garbage collection
# inside one thread's parse runs a finalizer that lets another thread in, and that thread parses
# too, the first fails with "SystemError: AST constructor recursion depth mismatch" (one of 64
# served sessions' call texts did). Calls are parsed on the loop's threads, so one at a time;
# reentrant, for a finalizer that parses on the same thread (nested parses are fine).
_PARSE_LOCK = threading.RLock()


def parse_expression(text: str) -> ast.Expression:
    """`ast.parse(text, mode="eval")`, safe to call from several threads at once."""
    with _PARSE_LOCK:
        return ast.parse(text, mode="eval")


class SkillSpec(BaseModel):
    """What the planner is shown about a skill: name, description, argument schema."""

    name: str
    description: str
    parameters: dict[str, Any] = Field(description="JSON schema of the arguments")
    irreversible: bool = False

    def signature(self) -> str:
        props = self.parameters.get("properties", {})
        required = set(self.parameters.get("required", []))
        parts = []
        for arg, schema in props.items():
            typ = schema.get("type") or "|".join(
                str(s.get("type", s.get("const", "?"))) for s in schema.get("anyOf", [])
            ) or "any"
            if "enum" in schema:
                typ = "|".join(json.dumps(e) for e in schema["enum"])
            parts.append(f"{arg}: {typ}" + ("" if arg in required else " = optional"))
        return f"{self.name}({', '.join(parts)})"

    def to_text(self) -> str:
        tag = "  [irreversible]" if self.irreversible else ""
        return f"{self.signature()} - {self.description}{tag}"


class SkillCall(BaseModel):
    """One invocation of a skill with its arguments."""

    name: str
    args: dict[str, Any] = Field(default_factory=dict)

    def __str__(self) -> str:
        inner = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in self.args.items())
        return f"{self.name}({inner})"

    @classmethod
    def parse(
        cls, action: str | Mapping[str, Any] | SkillCall, specs: Iterable[SkillSpec] | None = None
    ) -> SkillCall:
        """Parse text (`pick(object="red_cube")`), JSON text or a mapping into a call.

        With `specs`, positional arguments are mapped onto parameter names in schema order.
        Raises `ActionError` with a precise message for anything else.
        """
        if isinstance(action, SkillCall):
            return action
        if isinstance(action, Mapping):
            return cls._from_mapping(action)
        if not isinstance(action, str):
            raise ActionError(ErrorKind.PARSE, f"an action must be text or a mapping, got {type(action).__name__}")
        text = _strip_fences(action.strip())
        if not text:
            raise ActionError(ErrorKind.PARSE, "empty action")
        if text[0] in "{[":
            try:
                data = json.loads(text)
            except json.JSONDecodeError as e:
                raise ActionError(ErrorKind.PARSE, f"invalid JSON action: {e.msg} at column {e.colno}") from e
            if not isinstance(data, dict):
                raise ActionError(ErrorKind.PARSE, "a JSON action must be an object with 'name' and 'args'")
            return cls._from_mapping(data)
        return cls._from_text(text, {s.name: s for s in specs} if specs else {})

    @classmethod
    def _from_mapping(cls, data: Mapping[str, Any]) -> SkillCall:
        name = data.get("name", data.get("skill", data.get("action")))
        if not isinstance(name, str) or not name:
            raise ActionError(ErrorKind.PARSE, "a JSON action needs a string field 'name' (or 'skill')")
        args = data.get("args", data.get("arguments", {}))
        if isinstance(args, str):  # OpenAI tool calls carry arguments as a JSON string
            try:
                args = json.loads(args) if args.strip() else {}
            except json.JSONDecodeError as e:
                raise ActionError(ErrorKind.PARSE, f"'args' is not valid JSON: {e.msg}") from e
        if not isinstance(args, dict):
            raise ActionError(ErrorKind.PARSE, f"'args' must be an object, got {type(args).__name__}")
        return cls(name=name, args=dict(args))

    @classmethod
    def _from_text(cls, text: str, specs: dict[str, SkillSpec]) -> SkillCall:
        try:
            tree = parse_expression(text)
        except SyntaxError as e:
            raise ActionError(
                ErrorKind.PARSE, f"cannot parse {text[:80]!r}: expected a call like name(arg=value) ({e.msg})"
            ) from e
        node = tree.body
        if isinstance(node, ast.Name):  # a bare skill name with no arguments: `wait`
            return cls(name=node.id)
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            raise ActionError(ErrorKind.PARSE, f"expected a single call like name(arg=value), got {text[:80]!r}")
        name = node.func.id
        args: dict[str, Any] = {}
        params = list(specs[name].parameters.get("properties", {})) if name in specs else []
        for i, arg in enumerate(node.args):
            if isinstance(arg, ast.Starred):
                raise ActionError(ErrorKind.PARSE, f"{name}: *args is not allowed")
            if i >= len(params):
                raise ActionError(
                    ErrorKind.PARSE,
                    f"{name}: positional argument {i + 1} has no parameter to bind to; "
                    "use keyword arguments",
                )
            args[params[i]] = _literal(name, arg)
        for kw in node.keywords:
            if kw.arg is None:
                raise ActionError(ErrorKind.PARSE, f"{name}: **kwargs is not allowed")
            if kw.arg in args:
                raise ActionError(ErrorKind.PARSE, f"{name}: argument {kw.arg!r} given twice")
            args[kw.arg] = _literal(name, kw.value)
        return cls(name=name, args=args)


_JSON_NAMES = {"null": None, "true": True, "false": False, "None": None, "True": True, "False": False}


class _JsonNames(ast.NodeTransformer):
    """Models often write JSON literals (null, true, false) inside calls: accept them."""

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in _JSON_NAMES:
            return ast.copy_location(ast.Constant(_JSON_NAMES[node.id]), node)
        return node


def _literal(skill: str, node: ast.AST) -> Any:
    if not isinstance(node, ast.Name) or node.id in _JSON_NAMES:
        node = _JsonNames().visit(node)
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError) as e:
        # A bare identifier is a common shorthand for a string id: pick(object=red_cube).
        if isinstance(node, ast.Name):
            return node.id
        raise ActionError(
            ErrorKind.PARSE, f"{skill}: argument values must be literals, got {ast.unparse(node)!r}"
        ) from e


def _strip_fences(text: str) -> str:
    if text.startswith("```"):
        lines = text.splitlines()[1:]
        if lines and lines[-1].strip().startswith("```"):
            lines = lines[:-1]
        return "\n".join(lines).strip()
    return text
