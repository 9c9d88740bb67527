"""Command-line options made from the pydantic settings they fill: a setting's default, bounds
and help text are declared once, on its model's field, and the option only adds its flags.

`settings(Model, given)` then picks a command's values for `Model`'s fields, so a command
never copies its options into the model one by one.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import annotated_types
import typer
from pydantic import BaseModel
from pydantic.fields import FieldInfo


def field_of(model: type[BaseModel], name: str) -> FieldInfo:
    """`model`'s field `name` (a `KeyError` naming the model when it has none)."""
    try:
        return model.model_fields[name]
    except KeyError:
        raise KeyError(f"{model.__name__} has no field {name!r}") from None


def bounds(info: FieldInfo) -> dict[str, Any]:
    """The field's numeric bounds as click's `min`/`max`."""
    out: dict[str, Any] = {}
    for m in info.metadata:
        if isinstance(m, annotated_types.Ge):
            out["min"] = m.ge
        elif isinstance(m, annotated_types.Le):
            out["max"] = m.le
    return out


def option(model: type[BaseModel], name: str, *flags: str, default: Any = ..., **extra: Any) -> Any:
    """A typer option for `model.name`: the field's default (or `default`, where the option's
    type is the command line's own, such as an enum of the field's values), its bounds, and its
    description as the help."""
    info = field_of(model, name)
    value = info.get_default(call_default_factory=True) if default is ... else default
    return typer.Option(value, *flags, help=info.description, **bounds(info), **extra)


def argument(model: type[BaseModel], name: str, **extra: Any) -> Any:
    """A required typer argument for `model.name`, its description as the help."""
    return typer.Argument(..., help=field_of(model, name).description, **extra)


def settings(model: type[BaseModel], given: dict[str, Any]) -> dict[str, Any]:
    """The values in `given` (a command's parameters) that are fields of `model`; an enum
    option gives its value."""
    return {k: v.value if isinstance(v, Enum) else v for k, v in given.items() if k in model.model_fields}
