"""Models written as JSON by orjson at a fraction of pydantic's cost, reading back as the
same data pydantic writes for them: what the loop pays for every step's scene graph and,
when recording, every line.

A model whose JSON is exactly its field values (no computed fields, serializers, excluded
fields or JSON settings of its own) is handed to orjson as those values; orjson writes strings,
numbers, lists, dicts, datetimes, enums and dataclasses itself. Anything else (a model of
another kind, a set, bytes, a path, a non-string key, an integer past 64 bits, numpy values)
makes `dumps` raise `TypeError`, and the caller goes through pydantic, as it always could.
"""

from __future__ import annotations

import typing
from typing import Any

import orjson
from pydantic import BaseModel

OPTIONS = orjson.OPT_UTC_Z  # datetimes in UTC end in "Z", as pydantic writes them


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


class PlainJSON:
    """Writes a model, and the models its fields hold, as the JSON data pydantic's
    `model_dump_json` writes, when all of it is plain data (see the module's docstring)."""

    def __init__(self, root: type[BaseModel]):
        # Per class: how many fields, their names, and whether it may hold extras.
        self.fields_of = {
            cls: (len(cls.model_fields), tuple(cls.model_fields), cls.model_config.get("extra") == "allow")
            for cls in plain_models(root)
        }
        self.fields = self._fields_function()

    def _fields_function(self) -> Any:
        fields_of = self.fields_of
        # Models that hold no extras: their `__dict__` is their JSON unless it holds more.
        count_of = {cls: count for cls, (count, _, extras) in fields_of.items() if not extras}.get

        def fields(value: Any) -> dict[str, Any]:
            """orjson's `default`: a plain model as its field values (and extras). It runs
            once per model written (every node and relation of a scene graph), so the common
            case comes first and every name it uses is local. (An object without a `__dict__` raises
            AttributeError here, which orjson reports as the TypeError callers expect.)"""
            data = value.__dict__
            if len(data) == count_of(type(value)):
                return data
            spec = fields_of.get(type(value))
            if spec is None:
                raise TypeError  # not plain data: the caller goes through pydantic
            count, names, extras = spec
            if len(data) != count:  # the instance keeps something else there (a cache)
                try:
                    data = {k: data[k] for k in names}
                except KeyError:  # a field never set (`model_construct`): pydantic's to say
                    raise TypeError from None
            if extras and value.__pydantic_extra__:
                return {**data, **value.__pydantic_extra__}
            return data

        return fields

    def dumps(self, value: BaseModel) -> bytes:
        """UTF-8 JSON without a newline; `TypeError` when pydantic must write it instead."""
        return orjson.dumps(value, default=self.fields, option=OPTIONS)
