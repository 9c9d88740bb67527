"""The one place that loads plug-ins: `module:attr` objects (planners, env factories, policies,
model factories) and the `agentloop.envs` entry points through which packages register their
envs."""

from __future__ import annotations

import importlib
import importlib.metadata as md
import threading
from typing import Any

from agentloop.errors import ConfigError

ENTRY_POINT_GROUP = "agentloop.envs"

_loaded = False
_lock = threading.Lock()
plugin_errors: dict[str, str] = {}  # entry point -> why it failed, for `agentloop list` and "unknown env"


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


def load_plugins() -> None:
    """Call every `agentloop.envs` entry point once (each registers its envs)."""
    global _loaded
    with _lock:
        if _loaded:
            return
        _loaded = True
        for ep in md.entry_points(group=ENTRY_POINT_GROUP):
            try:
                obj = ep.load()
                if callable(obj):
                    obj()
            except Exception as e:  # one broken plugin must not hide the others
                plugin_errors[ep.name] = f"{type(e).__name__}: {e}"
