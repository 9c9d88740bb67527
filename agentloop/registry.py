"""Finding environments: Gymnasium's registry, filled by the `agentloop.envs` entry points.

Built-in families register lazy `"module:Class"` strings, so listing envs imports neither
Playwright nor MuJoCo. Third-party packages add their own family through the same
entry-point group; any other registered Gymnasium id (or `module:Id`, which Gymnasium
imports first) runs as well.
"""

from __future__ import annotations

import difflib
import importlib.metadata as md
import threading
from dataclasses import dataclass
from typing import Any

import gymnasium as gym

from agentloop.errors import ConfigError, EnvNotFound

NAMESPACE = "agentloop"
ENTRY_POINT_GROUP = "agentloop.envs"

_loaded = False
_lock = threading.Lock()
plugin_errors: dict[str, str] = {}


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


DESCRIPTIONS: dict[str, str] = {}


def register(
    env_id: str, entry_point: str, max_episode_steps: int | None = None, description: str = "",
    **kwargs: Any,
) -> None:
    """Register with Gymnasium unless already there (plugins may be loaded twice).
    `kwargs` go to the env constructor; `description` is shown by `agentloop list`."""
    if description:
        DESCRIPTIONS[env_id] = description
    if env_id in gym.registry:
        return
    gym.register(
        id=env_id, entry_point=entry_point, max_episode_steps=max_episode_steps, kwargs=kwargs,
    )


@dataclass
class EnvEntry:
    """One row of `agentloop list`."""

    id: str
    family: str
    entry_point: str
    description: str = ""


def list_envs(all_gym: bool = False) -> list[EnvEntry]:
    load_plugins()
    out = []
    for env_id, spec in sorted(gym.registry.items()):
        if not all_gym and spec.namespace != NAMESPACE:
            continue
        family = spec.name.split(".", 1)[0] if spec.namespace == NAMESPACE else (spec.namespace or "gymnasium")
        desc = DESCRIPTIONS.get(env_id, "")
        out.append(EnvEntry(env_id, family, str(spec.entry_point), desc))
    return out


def resolve(env_id: str) -> str:
    """Return the registered id, or raise `EnvNotFound` with a "did you mean" answer."""
    load_plugins()
    if env_id in gym.registry:
        return env_id
    if ":" in env_id:  # module:Id — Gymnasium imports the module, which registers the id
        return env_id
    if "/" not in env_id and f"{NAMESPACE}/{env_id}" in gym.registry:
        return f"{NAMESPACE}/{env_id}"
    candidates = list(gym.registry)
    close = difflib.get_close_matches(env_id, candidates, n=3, cutoff=0.6)
    if not close and "/" not in env_id:
        close = difflib.get_close_matches(f"{NAMESPACE}/{env_id}", candidates, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else "; `agentloop list` shows them all"
    extra = ""
    family = env_id.split("/")[-1].split(".")[0]
    if family in plugin_errors:
        extra = f" (the {family} envs failed to load: {plugin_errors[family]})"
    raise EnvNotFound(f"unknown environment {env_id!r}{hint}{extra}")


def make(env_id: str, **kwargs: Any) -> gym.Env:
    env_id = resolve(env_id)
    try:
        return gym.make(env_id, **kwargs)
    except gym.error.Error as e:
        raise ConfigError(f"cannot make {env_id!r}: {e}") from e
