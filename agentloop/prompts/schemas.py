"""The JSON shapes the model-based roles ask their model for."""

from __future__ import annotations

import copy
import json
import re
from functools import lru_cache
from typing import Any, TypeVar, cast

from pydantic import BaseModel, Field

from agentloop.calls import SkillSpec
from agentloop.records import PlanStage
from agentloop.scene import SceneGraph


class ActionChoice(BaseModel):
    """One skill call as a model names it: the planner's next action."""

    skill: str = Field(description="a skill name from the list")
    args: dict[str, Any] = Field(default_factory=dict)  # JSON values, checked by the skill's own model


class PlanReply(BaseModel):
    """Stage one of the planner: phase, subgoals, upcoming calls and the next one."""

    phase: PlanStage = "complete"
    subgoals: list[str] = Field(default_factory=list)
    steps: list[str] = Field(default_factory=list)
    rationale: str = ""
    next_action: ActionChoice | None = None


class ReflectReply(BaseModel):
    """Stage two of the planner: the plan checked against the scene, fixed and committed."""

    ok: bool = True
    problems: list[str] = Field(default_factory=list)
    phase: PlanStage = "complete"
    subgoals: list[str] = Field(default_factory=list)
    steps: list[str] = Field(default_factory=list)
    next_action: ActionChoice | None = None


class CriticReply(BaseModel):
    """The critic's judgement of an action before it runs."""

    predicted_outcome: str = ""
    accept: bool
    score: float = Field(ge=0.0, le=1.0)
    reason: str = ""
    suggestion: str | None = None


class ValidatorReply(BaseModel):
    """The validator's finding after an action ran."""

    ok: bool
    reason: str = ""


# -- grounded JSON schemas ---------------------------------------------------------------------
# What a constrained decoder (or a server's response_format) is given: the same replies, but
# naming only the skills in the list and, for arguments that name a node, only the ids in view.
# Parsing stays the plain schema's, so an off-list reply from an unconstrained backend is still
# parsed and then refused by the planner's own checks with a message the model can act on.

# Argument names whose values name a perceived node, beside any whose description says "id".
REFERENCE_ARGS = ("object", "target", "container", "cover", "at", "element", "node")
_ID_WORD = re.compile(r"\bids?\b")
_QUOTED = re.compile(r"'([^']+)'")  # literal values a description allows, e.g. 'table'
_PHASE = {"enum": ["explore", "complete", "done"]}
_STRINGS = {"type": "array", "items": {"type": "string"}}
JSONSchema = dict[str, Any]


def is_reference(name: str, schema: JSONSchema) -> bool:
    """Whether an argument names a node of the scene graph (by name or by its description)."""
    return name in REFERENCE_ARGS or bool(_ID_WORD.search(str(schema.get("description", ""))))


def literal_values(schema: JSONSchema) -> list[str]:
    """Values an argument's description allows beside node ids ("... or 'table'")."""
    return _QUOTED.findall(str(schema.get("description", "")))


def _object(props: JSONSchema, required: list[str] | None = None) -> JSONSchema:
    return {"type": "object", "properties": props,
            "required": list(props) if required is None else required, "additionalProperties": False}


def _argument(name: str, schema: JSONSchema, ids: list[str]) -> JSONSchema:
    plain = {k: v for k, v in schema.items() if k not in ("title", "description", "default")}
    if not ids or not is_reference(name, schema):
        return plain
    allowed = {"enum": list(dict.fromkeys(ids + literal_values(schema)))}
    if plain.get("type") == "string":
        return allowed
    options = plain.get("anyOf")
    if isinstance(options, list) and {"type": "string"} in options:
        return {"anyOf": [allowed if o == {"type": "string"} else o for o in options]}
    return plain


def _variant(spec: SkillSpec, ids: list[str]) -> JSONSchema:
    params = spec.parameters.get("properties", {})
    args = _object({k: _argument(k, v, ids) for k, v in params.items()},
                   [k for k in spec.parameters.get("required", []) if k in params])
    return _object({"skill": {"const": spec.name}, "args": args})


def action_schema(skills: list[SkillSpec], scene: SceneGraph | None) -> JSONSchema:
    """One JSON object per skill, `{"skill": name, "args": {...}}`, node arguments limited to the
    ids in `scene`."""
    ids = [n.id for n in scene.nodes] if scene is not None else []
    defs: JSONSchema = {}
    for s in skills:
        defs.update(s.parameters.get("$defs", {}))
    out: JSONSchema = {"anyOf": [_variant(s, ids) for s in skills]}
    return {**out, "$defs": defs} if defs else out


def _reply_schema(schema: type[BaseModel], action: JSONSchema) -> JSONSchema:
    if issubclass(schema, ActionChoice):
        return action
    choices = {"anyOf": [*action["anyOf"], {"type": "null"}]}
    if issubclass(schema, PlanReply):
        props = {"phase": _PHASE, "subgoals": _STRINGS, "steps": _STRINGS, "rationale": {"type": "string"},
                 "next_action": choices}
    else:
        props = {"ok": {"type": "boolean"}, "problems": _STRINGS, "phase": _PHASE, "subgoals": _STRINGS,
                 "steps": _STRINGS, "next_action": choices}
    out = _object(props)
    return {**out, "$defs": action["$defs"]} if "$defs" in action else out


Grounded = TypeVar("Grounded", ActionChoice, PlanReply, ReflectReply)


def grounded(schema: type[Grounded], skills: list[SkillSpec], scene: SceneGraph | None) -> type[Grounded]:
    """`schema` (ActionChoice, PlanReply or ReflectReply) whose JSON schema enumerates the
    skills and the ids in view; it validates exactly as `schema` does."""
    if not skills:
        return schema
    js = _reply_schema(schema, action_schema(skills, scene))
    return _subclass(schema, json.dumps(js))  # key order kept: decoders emit properties in it


@lru_cache(maxsize=256)
def _subclass(schema: type[Grounded], js: str) -> type[Grounded]:
    fixed = json.loads(js)

    def model_json_schema(cls: type[BaseModel], *args: Any, **kwargs: Any) -> JSONSchema:
        return copy.deepcopy(fixed)

    made = type(schema.__name__, (schema,), {"model_json_schema": classmethod(model_json_schema),
                                              "__module__": schema.__module__, "__doc__": schema.__doc__})
    return cast("type[Grounded]", made)
