"""The Jinja environment the report renders with: autoescape on for every template, so text
from pages, envs and models is always shown as text; a few filters for numbers and times."""

from __future__ import annotations

import functools
import json
import math
from enum import Enum
from typing import Any

import jinja2

from agentloop.report.kinds import StepKind
from agentloop.report.safejson import script_markup


def seconds(v: float | None) -> str:
    """A duration for people: `830 µs`, `12 ms`, `1.4 s`, `3 min 05 s`."""
    if v is None or not math.isfinite(v):
        return "-"
    if v < 1e-3:
        return f"{v * 1e6:.0f} µs"
    if v < 1.0:
        return f"{v * 1e3:.0f} ms"
    if v < 60.0:
        return f"{v:.1f} s"
    return f"{int(v // 60)} min {int(v % 60):02d} s"


def number(v: float | int | bool | None, digits: int = 3) -> str:
    """A value as a short number, `-` when absent."""
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return str(v)
    return f"{v:.{digits}g}" if math.isfinite(v) else str(v)


def percent(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.0f} %"


def as_json(v: Any) -> str:
    """A value as compact JSON text (shown escaped, like any other text)."""
    return json.dumps(v, ensure_ascii=False, default=str)


def pretty(v: Any) -> str:
    """A value as indented JSON text."""
    return json.dumps(v, ensure_ascii=False, indent=1, default=str)


def text(v: object) -> str:
    """An enum member by its value (`action`, not `CallRole.ACTION`), anything else as str."""
    return str(v.value) if isinstance(v, Enum) else str(v)


def unprefix(message: str, kind: Enum | None) -> str:
    """An error message without the `kind: ` its text starts with (the kind is shown beside it)."""
    if kind is not None and message.startswith(f"{kind.value}: "):
        return message[len(kind.value) + 2:]
    return message


@functools.cache
def environment() -> jinja2.Environment:
    """The report's Jinja environment (one per process)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("agentloop.report", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    env.filters.update(seconds=seconds, number=number, percent=percent, script=script_markup, json=as_json, pretty=pretty,
                       unprefix=unprefix, text=text)
    env.globals.update(StepKind=StepKind)
    return env
