"""Skills: the typed actions of an embodiment, and the calls an agent makes to them.

This package holds the skill types every embodiment shares (here) and one vocabulary module
per embodiment beside them (`robot`, `web`, `android`), which depend only on these types.

A `Skill` is a name, a pydantic argument model, a one-line description (its docstring), a
`precondition` the rule critic checks before acting and `expected_effect` predicates the
effect validator checks on the next scene graph. A `SkillCall` is one invocation, parsed from
text such as `place(object="red_cube", target="blue_bowl")` or from JSON. Model output is
parsed with `ast` into literals only; it is never executed.
"""

from __future__ import annotations

import ast
import json
from typing import Any, ClassVar, Iterable, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agentloop.errors import ActionError
from agentloop.scene import SceneGraph, SceneDiff


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

    model_config = ConfigDict(frozen=False)

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
            raise ActionError("parse", f"an action must be text or a mapping, got {type(action).__name__}")
        text = _strip_fences(action.strip())
        if not text:
            raise ActionError("parse", "empty action")
        if text[0] in "{[":
            try:
                data = json.loads(text)
            except json.JSONDecodeError as e:
                raise ActionError("parse", f"invalid JSON action: {e.msg} at column {e.colno}") from e
            if not isinstance(data, dict):
                raise ActionError("parse", "a JSON action must be an object with 'name' and 'args'")
            return cls._from_mapping(data)
        return cls._from_text(text, {s.name: s for s in specs} if specs else {})

    @classmethod
    def _from_mapping(cls, data: Mapping[str, Any]) -> SkillCall:
        name = data.get("name", data.get("skill", data.get("action")))
        if not isinstance(name, str) or not name:
            raise ActionError("parse", "a JSON action needs a string field 'name' (or 'skill')")
        args = data.get("args", data.get("arguments", {}))
        if isinstance(args, str):  # OpenAI tool calls carry arguments as a JSON string
            try:
                args = json.loads(args) if args.strip() else {}
            except json.JSONDecodeError as e:
                raise ActionError("parse", f"'args' is not valid JSON: {e.msg}") from e
        if not isinstance(args, dict):
            raise ActionError("parse", f"'args' must be an object, got {type(args).__name__}")
        return cls(name=name, args=dict(args))

    @classmethod
    def _from_text(cls, text: str, specs: dict[str, SkillSpec]) -> SkillCall:
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError as e:
            raise ActionError(
                "parse", f"cannot parse {text[:80]!r}: expected a call like name(arg=value) ({e.msg})"
            ) from e
        node = tree.body
        if isinstance(node, ast.Name):  # a bare skill name with no arguments: `wait`
            return cls(name=node.id)
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            raise ActionError("parse", f"expected a single call like name(arg=value), got {text[:80]!r}")
        name = node.func.id
        args: dict[str, Any] = {}
        params = list(specs[name].parameters.get("properties", {})) if name in specs else []
        for i, arg in enumerate(node.args):
            if isinstance(arg, ast.Starred):
                raise ActionError("parse", f"{name}: *args is not allowed")
            if i >= len(params):
                raise ActionError(
                    "parse",
                    f"{name}: positional argument {i + 1} has no parameter to bind to; "
                    "use keyword arguments",
                )
            args[params[i]] = _literal(name, arg)
        for kw in node.keywords:
            if kw.arg is None:
                raise ActionError("parse", f"{name}: **kwargs is not allowed")
            if kw.arg in args:
                raise ActionError("parse", f"{name}: argument {kw.arg!r} given twice")
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
            "parse", f"{skill}: argument values must be literals, got {ast.unparse(node)!r}"
        ) from e


def _strip_fences(text: str) -> str:
    if text.startswith("```"):
        lines = text.splitlines()[1:]
        if lines and lines[-1].strip().startswith("```"):
            lines = lines[:-1]
        return "\n".join(lines).strip()
    return text


# ---- expected effects ------------------------------------------------------------------------


class Effect(BaseModel):
    """A predicate on the scene after a skill ran, checked by the effect validator.

    kinds: `attr` (node.key == value), `relation` (src rel dst holds), `present` / `absent`
    (node is / is not perceived), `changed` (anything changed at node, or anywhere if node is
    None). `negate` flips the predicate.
    """

    kind: Literal["attr", "relation", "present", "absent", "changed"]
    node: str | None = None
    key: str | None = None
    value: Any = None
    rel: str | None = None
    target: str | None = None
    negate: bool = False

    def holds(self, before: SceneGraph, after: SceneGraph, diff: SceneDiff | None = None) -> bool:
        result = self._holds(before, after, diff)
        return not result if self.negate else result

    def _holds(self, before: SceneGraph, after: SceneGraph, diff: SceneDiff | None) -> bool:
        if self.kind == "attr":
            n = after.node(self.node or "")
            return n is not None and n.attrs.get(self.key or "") == self.value
        if self.kind == "relation":
            return after.has(self.node or "", self.rel or "", self.target or "")
        if self.kind == "present":
            return (self.node or "") in after
        if self.kind == "absent":
            return (self.node or "") not in after
        diff = diff if diff is not None else SceneGraph.diff(before, after)
        return not diff.empty if self.node is None else diff.touches(self.node)

    def __str__(self) -> str:
        neg = "not " if self.negate else ""
        if self.kind == "attr":
            return f"{neg}{self.node}.{self.key} == {self.value!r}"
        if self.kind == "relation":
            return f"{neg}{self.node} {self.rel} {self.target}"
        if self.kind == "changed":
            return f"{neg}changed at {self.node or 'scene'}"
        return f"{neg}{self.node} {self.kind}"


def attr(node: str, key: str, value: Any) -> Effect:
    return Effect(kind="attr", node=node, key=key, value=value)


def relation(src: str, rel: str, dst: str, negate: bool = False) -> Effect:
    return Effect(kind="relation", node=src, rel=rel, target=dst, negate=negate)


def present(node: str) -> Effect:
    return Effect(kind="present", node=node)


def absent(node: str) -> Effect:
    return Effect(kind="absent", node=node)


def changed(node: str | None = None) -> Effect:
    return Effect(kind="changed", node=node)


# ---- skills ----------------------------------------------------------------------------------


class NoArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Skill:
    """Base class of a skill. Subclasses set `name`, an `Args` model and a docstring.

    `precondition` returns None when the call may run, else the reason it may not.
    `expected_effect` returns the predicates that should hold on the next scene graph.
    """

    name: ClassVar[str]
    Args: ClassVar[type[BaseModel]] = NoArgs
    irreversible: ClassVar[bool] = False

    @classmethod
    def description(cls) -> str:
        doc = (cls.__doc__ or cls.name).strip()
        return doc.splitlines()[0].strip()

    @classmethod
    def spec(cls) -> SkillSpec:
        schema = cls.Args.model_json_schema()
        schema.pop("title", None)
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
        return SkillSpec(
            name=cls.name, description=cls.description(), parameters=schema,
            irreversible=cls.irreversible,
        )

    def precondition(self, scene: SceneGraph, args: Any) -> str | None:
        return None

    def expected_effect(self, scene: SceneGraph, args: Any) -> list[Effect]:
        return []


class BoundCall(BaseModel):
    """A parsed call whose arguments validated against its skill's `Args` model."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    call: SkillCall
    skill: Any  # Skill instance
    args: Any  # the skill's Args model instance
    env_action: Any = None  # what to pass to a plain Gymnasium env's step(), when not the call

    @property
    def irreversible(self) -> bool:
        return bool(self.skill.irreversible)


class SkillSet:
    """The vocabulary of one embodiment: parse, validate and describe its skills."""

    def __init__(self, skills: Iterable[Skill | type[Skill]]):
        self._skills: dict[str, Skill] = {}
        for s in skills:
            inst = s() if isinstance(s, type) else s
            self._skills[inst.name] = inst
        self._specs = [type(s).spec() for s in self._skills.values()]

    def __contains__(self, name: object) -> bool:
        return name in self._skills

    def __getitem__(self, name: str) -> Skill:
        return self._skills[name]

    def __iter__(self):
        return iter(self._skills.values())

    def names(self) -> list[str]:
        return list(self._skills)

    def specs(self) -> list[SkillSpec]:
        return list(self._specs)

    def bind(self, action: str | Mapping[str, Any] | SkillCall) -> BoundCall:
        """Parse and validate an action; raises `ActionError` saying exactly what is wrong."""
        call = SkillCall.parse(action, self._specs)
        skill = self._skills.get(call.name)
        if skill is None:
            import difflib

            close = difflib.get_close_matches(call.name, self._skills, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ActionError(
                "unknown_skill",
                f"unknown skill {call.name!r}{hint} (available: {', '.join(self._skills)})",
            )
        try:
            args = skill.Args.model_validate(call.args)
        except ValidationError as e:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'args'}: {err['msg']}"
                for err in e.errors()
            )
            raise ActionError("bad_argument", f"{call.name}: {problems}") from None
        return BoundCall(call=SkillCall(name=call.name, args=args.model_dump(mode="json", exclude_unset=True)), skill=skill, args=args)
