"""Model backends behind one protocol, chosen by a spec string.

    openai:NAME              OpenAI-compatible HTTP server ($OPENAI_BASE_URL / --base-url)
    hf:PATH_OR_ID            local transformers image-text-to-text model
    function:module:callable a FunctionModel around `callable(messages, schema, sampling)`
"""

from __future__ import annotations

import threading
from typing import Any

from agentloop.errors import ConfigError
from agentloop.models.base import Model, extract_json, parse_into
from agentloop.models.function import FunctionModel
from agentloop.models.types import Completion, ImagePart, Message, TextPart, Usage

__all__ = [
    "Completion",
    "FunctionModel",
    "ImagePart",
    "Message",
    "Model",
    "TextPart",
    "Usage",
    "extract_json",
    "from_spec",
    "parse_into",
]

_shared: dict[tuple[str, str | None], Any] = {}
_lock = threading.Lock()


def from_spec(spec: str, base_url: str | None = None) -> Any:
    """Build (once per process) the backend a spec names; threads of a process share it, so
    they share its connection pool, concurrency limit or loaded weights."""
    key = (spec, base_url)
    with _lock:
        if key not in _shared:
            _shared[key] = _build(spec, base_url)
        return _shared[key]


def _build(spec: str, base_url: str | None) -> Any:
    kind, sep, rest = spec.partition(":")
    if not sep or not rest:
        raise ConfigError(f"model spec {spec!r}: expected openai:NAME, hf:PATH_OR_ID or function:module:callable")
    if kind == "openai":
        from agentloop.models.openai_http import OpenAIModel

        return OpenAIModel(rest, base_url=base_url)
    if kind == "hf":
        from agentloop.models.hf import HFModel

        return HFModel(rest)
    if kind == "function":
        from agentloop.plugins import load_object

        fn = load_object(rest)
        if isinstance(fn, type):
            fn = fn()
        if hasattr(fn, "complete"):
            return fn
        return FunctionModel(fn, name=spec)
    raise ConfigError(f"unknown model backend {kind!r} in {spec!r}; use openai:, hf: or function:")
