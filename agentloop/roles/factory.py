"""Build the roles a run asks for: `--planner`, `--critic`, `--validator`, `--model`.

`--planner model` runs the VLM planner in the mode the model was trained for (its
`agentloop_prompts.json`), else staged; `model:single` and `model:staged` choose. `--critic
prm:PATH` is a learned critic (a process reward model), `rule+prm:PATH` the same after the
rule critic. The model-based roles are imported only when asked for, so a run without a
model never loads the prompt templates or a model client.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from agentloop import registry
from agentloop.errors import ConfigError
from agentloop.models import Model, ModelPool, check_spec, from_spec
from agentloop.models.base import trained_for
from agentloop.plugins import load_object
from agentloop.prompt_spec import PlannerMode
from agentloop.records import CriticKind, RunConfig
from agentloop.roles import Roles
from agentloop.roles.critic import ChainedCritic, Critic, NoCritic, PreconditionCritic
from agentloop.roles.planner import Planner
from agentloop.roles.validator import ChainedValidator, EffectValidator, NoValidator, Validator


def build_planner(config: RunConfig, env: gym.Env[Any, Any], model: Model | None = None) -> Planner:
    """`auto` (the model planner when there is a model, else the scripted one), `scripted`,
    `model`, or a `module:Factory` that makes a planner."""
    choice = config.planner
    if choice == "auto":
        choice = "model" if config.model else "scripted"
    if choice == "model" or choice.startswith("model:"):
        return _model_planner(choice, model)
    if choice == "scripted":
        path = registry.scripted_planner(env)
        if not path:
            raise ConfigError(
                f"{config.env_id} has no scripted planner; pass --model (e.g. --model openai:NAME) "
                "or --planner module:Factory"
            )
        choice = path
    return load_planner(choice)


def load_planner(path: str) -> Planner:
    """The planner a `module:Factory` (or `module:Class`) makes."""
    factory = load_object(path)
    planner = factory() if callable(factory) else factory
    if not isinstance(planner, Planner):
        raise ConfigError(f"{path!r} did not produce a planner (name, reset, propose, feedback)")
    return planner


def _model_planner(choice: str, model: Model | None) -> Planner:
    if model is None:
        raise ConfigError(f"--planner {choice} needs --model, e.g. --model openai:NAME")
    from agentloop.roles.vlm import VLMPlanner

    _, _, asked = choice.partition(":")
    if asked:
        try:
            mode = PlannerMode(asked)
        except ValueError:
            raise ConfigError(f"--planner {choice}: expected model, model:staged or model:single") from None
    else:
        trained = trained_for(model)
        mode = trained.mode if trained is not None else PlannerMode.STAGED
    return VLMPlanner(model, mode=mode)


def build_critic(config: RunConfig, model: Model | None = None, models: ModelPool | None = None) -> Critic:
    """`none`, `rule` (skill preconditions), `vlm` (the rules first, then the model),
    `prm:PATH` (a learned critic) or `rule+prm:PATH` (the rules first, then the learned one).
    The learned critic's model comes from `models` when given (shared, loaded once)."""
    spec = config.critic_spec
    if spec.kind is CriticKind.NONE:
        return NoCritic()
    if spec.kind is CriticKind.RULE:
        return PreconditionCritic()
    if spec.kind is CriticKind.VLM:
        if model is None:
            raise ConfigError("--critic vlm needs --model")
        from agentloop.roles.vlm import VLMCritic

        return ChainedCritic(PreconditionCritic(), VLMCritic(model))
    from agentloop.roles.prm import PRMCritic

    path = str(spec.model)
    scorer = models.get(path) if models is not None else from_spec(path)  # no pool: loaded per episode
    learned = PRMCritic(scorer)
    return ChainedCritic(PreconditionCritic(), learned) if spec.rule_first else learned


def build_validator(config: RunConfig, model: Model | None = None) -> Validator:
    """`none`, `rule` (expected effects, or pixels without a scene graph), or `vlm` (the
    rules first where there is a scene graph, the model confirming)."""
    if config.validator == "none":
        return NoValidator()
    if config.validator == "rule":
        return EffectValidator()
    if model is None:
        raise ConfigError("--validator vlm needs --model")
    from agentloop.roles.vlm import VLMValidator

    return ChainedValidator(EffectValidator(), VLMValidator(model))


def check_models(config: RunConfig) -> None:
    """Before any episode starts: raise `ModelUnreachable` (one line naming where and the
    fix) when a model the run names cannot be reached."""
    if config.model:
        check_spec(config.model, config.base_url)
    if (learned := config.critic_spec.model) is not None:
        check_spec(learned)


def build_roles(config: RunConfig, env: gym.Env[Any, Any], model: Model | None = None,
                models: ModelPool | None = None) -> Roles:
    """The planner, critic and validator of one episode on `env`; `models` shares the
    learned critic's model among episodes."""
    return Roles(planner=build_planner(config, env, model), critic=build_critic(config, model, models),
                 validator=build_validator(config, model))
