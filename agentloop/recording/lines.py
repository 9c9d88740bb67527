"""`steps.jsonl` lines: a `StepRecord` as one line of JSON, made on the loop's own thread.

A step record is plain data: strings, numbers, lists, dicts (the scene graph, most of a
step's bytes, is already JSON data), datetimes and nested models of a fixed set of types.
orjson writes that at about a third of pydantic's cost per step when each model is handed to
it as its field values, and the line is the JSON pydantic writes for the same record. That
holds only for models whose JSON is exactly their fields, so the set of such models is
worked out from `StepRecord`'s own fields; a record holding anything else (a model of
another type, a set, bytes, a path, a non-string key, numpy scalars) is written by pydantic,
whole, as it always was. Recording costs the loop this line, the step's reward signals and a
copy of its frame, and nothing more until the episode ends.
"""

from __future__ import annotations

import typing
from typing import Any

import orjson
from pydantic import BaseModel, TypeAdapter

from agentloop.records import StepRecord

_STEP = TypeAdapter(StepRecord)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The model classes an annotation names, however deeply nested (`list[X] | None`)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out: list[type[BaseModel]] = []
    if typing.get_origin(annotation) is not None:  # X | None, list[X], dict[str, X], ...
        for arg in typing.get_args(annotation):
            out += _models_in(arg)
    return out


def plain_models(root: type[BaseModel]) -> frozenset[type[BaseModel]]:
    """The model classes reachable from `root` whose JSON is their field values and extras:
    no computed fields, serializers, excluded fields or JSON settings of their own."""
    plain: set[type[BaseModel]] = set()
    seen: set[type[BaseModel]] = set()
    todo = [root]
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        decorators = cls.__pydantic_decorators__
        if not (
            cls.model_computed_fields or decorators.field_serializers or decorators.model_serializers
            or any(f.exclude for f in cls.model_fields.values())
            or any(k.startswith("ser_json") or k == "json_encoders" for k in cls.model_config)
        ):
            plain.add(cls)
        for f in cls.model_fields.values():
            todo += _models_in(f.annotation)
    return frozenset(plain)


_PLAIN = plain_models(StepRecord)
_OPTIONS = orjson.OPT_UTC_Z  # datetimes in UTC end in "Z", as pydantic writes them


def _fields(value: Any) -> dict[str, Any]:
    if type(value) in _PLAIN:
        extra = value.__pydantic_extra__
        return {**value.__dict__, **extra} if extra else value.__dict__
    raise TypeError  # not plain data: the whole record goes through pydantic


def step_json(record: StepRecord) -> bytes:
    """One `steps.jsonl` line, UTF-8, without its newline."""
    try:
        return orjson.dumps(record, default=_fields, option=_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError included
        return _STEP.dump_json(record)
