"""Build the roles a run asks for: `--planner`, `--critic`, `--validator`, `--model`.

The model-based roles are imported only when asked for, so a run without a model never
loads the prompt templates or a model client.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from agentloop.env import SCRIPTED_PLANNER
from agentloop.errors import ConfigError
from agentloop.models import Model
from agentloop.plugins import load_object
from agentloop.records import RunConfig
from agentloop.roles import Roles
from agentloop.roles.critic import Critic, NoCritic, PreconditionCritic
from agentloop.roles.planner import Planner
from agentloop.roles.validator import EffectValidator, NoValidator, Validator


def scripted_planner_path(env: gym.Env[Any, Any]) -> str | None:
    """The `module:Class` of the env's scripted planner, if it names one in its metadata."""
    path = (getattr(env.unwrapped, "metadata", None) or {}).get(SCRIPTED_PLANNER)
    return str(path) if path else None


def build_planner(config: RunConfig, env: gym.Env[Any, Any], model: Model | None = None) -> Planner:
    """`auto` (the model planner when there is a model, else the scripted one), `scripted`,
    `model`, or a `module:Factory` that makes a planner."""
    choice = config.planner
    if choice == "auto":
        choice = "model" if config.model else "scripted"
    if choice == "model":
        if model is None:
            raise ConfigError("--planner model needs --model, e.g. --model openai:NAME")
        from agentloop.roles.vlm import VLMPlanner

        return VLMPlanner(model)
    if choice == "scripted":
        path = scripted_planner_path(env)
        if not path:
            raise ConfigError(
                f"{config.env_id} has no scripted planner; pass --model (e.g. --model openai:NAME) "
                "or --planner module:Factory"
            )
        choice = path
    factory = load_object(choice)
    planner = factory() if callable(factory) else factory
    if not isinstance(planner, Planner):
        raise ConfigError(f"{choice!r} did not produce a planner (name, reset, propose, feedback)")
    return planner


def build_critic(config: RunConfig, model: Model | None = None) -> Critic:
    """`none`, `rule` (skill preconditions), or `vlm` (the rules first, then the model)."""
    if config.critic == "none":
        return NoCritic()
    if config.critic == "rule":
        return PreconditionCritic()
    if model is None:
        raise ConfigError("--critic vlm needs --model")
    from agentloop.roles.vlm import ChainedCritic, VLMCritic

    return ChainedCritic(PreconditionCritic(), VLMCritic(model))


def build_validator(config: RunConfig, model: Model | None = None) -> Validator:
    """`none`, `rule` (expected effects, or pixels without a scene graph), or `vlm` (the
    rules first where there is a scene graph, the model confirming)."""
    if config.validator == "none":
        return NoValidator()
    if config.validator == "rule":
        return EffectValidator()
    if model is None:
        raise ConfigError("--validator vlm needs --model")
    from agentloop.roles.vlm import ChainedValidator, VLMValidator

    return ChainedValidator(EffectValidator(), VLMValidator(model))


def build_roles(config: RunConfig, env: gym.Env[Any, Any], model: Model | None = None) -> Roles:
    """The planner, critic and validator of one episode on `env`."""
    return Roles(planner=build_planner(config, env, model), critic=build_critic(config, model),
                 validator=build_validator(config, model))
