"""`agentloop serve`: an OpenEnv-compatible server, one agentloop env per WebSocket session.

Each session's env answers OpenEnv's `reset(seed=...)` and `step({"action": "<skill call>"})`
with every call judged by the critic before it runs and the validator after; the observation
carries those verdicts and the reward components as fields of its own. Loopback by default;
any other bind needs a bearer token, checked on every connection.

The server's names (`ServeConfig`, `build_app`, `serve`, `check_bind`) load on first use, so
that the command line starts without importing the web stack.
"""

from __future__ import annotations

import importlib
from typing import Any

from agentloop.integrations.options import TOKEN_ENV  # where `agentloop serve` reads its token from

_EXPORTS = {"ServeConfig": "config", "build_app": "app", "serve": "workers", "check_bind": "auth", "is_loopback": "auth"}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)


__all__ = ["TOKEN_ENV", "ServeConfig", "build_app", "check_bind", "is_loopback", "serve"]
