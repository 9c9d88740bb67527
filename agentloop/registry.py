"""Finding environments: Gymnasium's registry, filled by the `agentloop.envs` entry points.

The entry points themselves are loaded by `agentloop.plugins`. Built-in families register lazy `"module:Class"` strings, so listing envs imports neither
Playwright nor MuJoCo. Third-party packages add their own family through the same
entry-point group; any other registered Gymnasium id (or `module:Id`, which Gymnasium
imports first) runs as well.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import gymnasium as gym

from agentloop.env import SCRIPTED_PLANNER
from agentloop.errors import ConfigError, EnvNotFound
from agentloop.plugins import ENTRY_POINT_GROUP, load_object, load_plugins, plugin_errors
from agentloop.skillset import SkillSet

NAMESPACE = "agentloop"


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


@dataclass(frozen=True)
class EnvClass:
    """What a registered env declares on its class, read without making the env (no simulator
    or browser starts): its skill set and its scripted planner, where it names them."""

    env_id: str
    entry: Any  # the class (or factory) the id's entry point names

    @property
    def skillset(self) -> SkillSet | None:
        """The skill set the class declares (a `SkillEnv`'s), else None."""
        found = getattr(self.entry, "skillset", None)
        return found if isinstance(found, SkillSet) else None

    @property
    def scripted_planner(self) -> str | None:
        """The `module:Class` of the env's scripted planner, if its metadata names one."""
        return scripted_planner(self.entry)


def env_class(env_id: str) -> EnvClass:
    """The class behind `env_id`, its entry point imported but nothing made."""
    env_id = resolve(env_id)
    entry = gym.spec(env_id).entry_point
    return EnvClass(env_id, load_object(entry) if isinstance(entry, str) else entry)


def scripted_planner(env: Any) -> str | None:
    """The `module:Class` of the scripted planner an env (made, or its class) names in its
    metadata, if any."""
    owner = env.unwrapped if isinstance(env, gym.Env) else env
    path = (getattr(owner, "metadata", None) or {}).get(SCRIPTED_PLANNER)
    return str(path) if path else None


def make(env_id: str, **kwargs: Any) -> gym.Env:
    env_id = resolve(env_id)
    try:
        return gym.make(env_id, **kwargs)
    except gym.error.Error as e:
        raise ConfigError(f"cannot make {env_id!r}: {e}") from e


__all__ = ["DESCRIPTIONS", "ENTRY_POINT_GROUP", "NAMESPACE", "EnvClass", "EnvEntry", "env_class", "list_envs",
           "load_plugins", "make", "plugin_errors", "register", "resolve", "scripted_planner"]
