"""Backends by spec string, and the pool that shares them among the threads of a process.

    openai:NAME              OpenAI-compatible HTTP server ($OPENAI_BASE_URL / --base-url)
    hf:PATH_OR_ID            local transformers image-text-to-text model
    prm:PATH                 a process reward model (token classification) that scores the
                             last assistant turn (`agentloop.models.prm`)
    function:module:callable a FunctionModel around `callable(messages, schema, sampling)`,
                             or a `Model` (or a class of one) found there
    human[:stdio|:web[:PORT]] a person, or a program, answers each request: in the terminal,
                             as JSON lines on stdin/stdout, or on a local page and its
                             endpoint (`agentloop.models.human`)

`check_spec` tells before a run starts, in one line, when a spec's model cannot be reached.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Protocol, runtime_checkable

from agentloop.errors import ConfigError, ModelUnreachable
from agentloop.models.base import Model
from agentloop.models.function import FunctionModel
from agentloop.plugins import load_object


@runtime_checkable
class _Closable(Protocol):
    def close(self) -> None: ...


def from_spec(spec: str, base_url: str | None = None) -> Model:
    """A new backend for `spec`; the caller owns it (and closes it, where it can be closed).
    To share one backend among threads, get it from a `ModelPool`."""
    kind, sep, rest = spec.partition(":")
    if kind == "human":
        from agentloop.models.human import HumanModel

        return HumanModel(spec)
    if not sep or not rest:
        raise ConfigError(f"model spec {spec!r}: expected openai:NAME, hf:PATH_OR_ID, function:module:callable "
                          "or human[:stdio|:web[:PORT]]")
    if kind == "openai":
        from agentloop.models.openai_http import OpenAIModel

        return OpenAIModel(rest, base_url=base_url)
    if kind == "hf":
        from agentloop.models.hf import HFModel

        return HFModel(rest)
    if kind == "prm":
        from agentloop.models.prm import StepScorer

        return StepScorer(rest)
    if kind == "function":
        return _function_model(spec, rest)
    raise ConfigError(f"unknown model backend {kind!r} in {spec!r}; use openai:, hf:, prm:, function: or human")


def check_spec(spec: str, base_url: str | None = None) -> None:
    """Raise `ModelUnreachable` (one line naming where and the fix) when the model `spec`
    names cannot be reached: a server that does not answer, a path with no model. Cheap: a
    local model's config is read, its weights are not loaded."""
    kind, _, rest = spec.partition(":")
    if kind in ("hf", "prm"):
        _check_local(spec, rest)
        return
    if kind == "human":  # someone answers once asked: the spec's form, or a busy port, can be wrong
        from agentloop.models.human import check_human

        check_human(spec)
        return
    model = from_spec(spec, base_url)
    try:
        check = getattr(model, "check", None)
        if callable(check):
            check()
    finally:
        if isinstance(model, _Closable):
            model.close()


def _check_local(spec: str, path: str) -> None:
    from transformers import AutoConfig

    try:
        AutoConfig.from_pretrained(path)
    except (OSError, ValueError) as e:
        raise ModelUnreachable(
            f"{spec}: no model there ({type(e).__name__}); give a folder with config.json and weights "
            "(save_pretrained), or a hub id with the hub reachable") from None


def _function_model(spec: str, path: str) -> Model:
    found = load_object(path)
    if isinstance(found, type):
        found = found()
    if isinstance(found, Model):
        return found
    if hasattr(found, "complete") or not callable(found):
        raise ConfigError(f"{path!r} is neither a reply function nor a model (name, complete)")
    return FunctionModel(found, name=spec)


class ModelPool:
    """The backends a process uses, built once per (spec, base URL) and shared by its threads,
    so they share a connection pool, a concurrency limit or loaded weights. The pool owns
    them: `close()` (or leaving a `with` block) closes every one that can be closed."""

    def __init__(self) -> None:
        self._models: dict[tuple[str, str | None], Model] = {}
        self._lock = threading.Lock()

    def get(self, spec: str, base_url: str | None = None) -> Model:
        """The pool's backend for `spec`, built on first use."""
        key = (spec, base_url)
        with self._lock:
            model = self._models.get(key)
            if model is None:
                model = self._models[key] = from_spec(spec, base_url)
            return model

    def close(self) -> None:
        """Close every backend; a later `get` builds afresh."""
        with self._lock:
            models, self._models = list(self._models.values()), {}
        for model in models:
            if isinstance(model, _Closable):
                model.close()

    def __enter__(self) -> ModelPool:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
