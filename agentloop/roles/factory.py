"""Build the roles a run asks for: `--planner`, `--critic`, `--validator`, `--model`."""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from agentloop.env import SCRIPTED_PLANNER
from agentloop.errors import ConfigError
from agentloop.plugins import load_object
from agentloop.records import RunConfig
from agentloop.roles import Roles
from agentloop.roles.critic import NoCritic, PreconditionCritic
from agentloop.roles.planner import Planner
from agentloop.roles.validator import EffectValidator, NoValidator


def scripted_planner_path(env: gym.Env) -> str | None:
    return (getattr(env.unwrapped, "metadata", None) or {}).get(SCRIPTED_PLANNER)


def build_planner(config: RunConfig, env: gym.Env, model: Any = None):
    choice = config.planner
    if choice == "auto":
        choice = "model" if config.model else "scripted"
    if choice == "scripted":
        path = scripted_planner_path(env)
        if not path:
            raise ConfigError(
                f"{config.env_id} has no scripted planner; pass --model (e.g. --model openai:NAME) "
                "or --planner module:Factory"
            )
        return load_object(path)()
    if choice == "model":
        if model is None:
            raise ConfigError("--planner model needs --model, e.g. --model openai:NAME")
        from agentloop.roles.vlm import VLMPlanner

        return VLMPlanner(model)
    factory = load_object(choice)
    planner = factory() if callable(factory) else factory
    if not isinstance(planner, Planner):
        raise ConfigError(f"{choice!r} did not produce a planner (reset, propose, feedback)")
    return planner


def build_roles(config: RunConfig, env: gym.Env, model: Any = None) -> Roles:
    planner = build_planner(config, env, model)
    if config.critic == "none":
        critic = NoCritic()
    elif config.critic == "rule":
        critic = PreconditionCritic()
    else:
        if model is None:
            raise ConfigError("--critic vlm needs --model")
        from agentloop.roles.vlm import ChainedCritic, VLMCritic

        critic = ChainedCritic(PreconditionCritic(), VLMCritic(model))
    if config.validator == "none":
        validator = NoValidator()
    elif config.validator == "rule":
        validator = EffectValidator()
    else:
        if model is None:
            raise ConfigError("--validator vlm needs --model")
        from agentloop.roles.vlm import ChainedValidator, VLMValidator

        validator = ChainedValidator(EffectValidator(), VLMValidator(model))
    return Roles(planner=planner, critic=critic, validator=validator)
