"""The one place that loads `module:attr` plug-ins (planners, env factories, policies)."""

from __future__ import annotations

import importlib
from typing import Any

from agentloop.errors import ConfigError


def load_object(path: str) -> Any:
    """Import `module:attr` (or `module.attr`); a `ConfigError` naming what is missing."""
    mod, sep, attr = path.partition(":")
    if not sep:
        mod, _, attr = path.rpartition(".")
    if not mod or not attr:
        raise ConfigError(f"expected module:name, got {path!r}")
    try:
        obj = importlib.import_module(mod)
    except ImportError as e:
        raise ConfigError(f"cannot import {mod!r}: {e}") from e
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ConfigError(f"{mod!r} has no attribute {attr!r}") from None
    return obj
