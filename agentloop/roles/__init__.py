"""The roles of the loop, each a small Protocol with its implementations beside it."""

from dataclasses import dataclass, field

from agentloop.roles.critic import Critic, NoCritic, PreconditionCritic
from agentloop.roles.planner import BasePlanner, FunctionPlanner, Planner, Proposal
from agentloop.roles.validator import EffectValidator, NoValidator, PixelChangeValidator, Validator


@dataclass
class Roles:
    """The three roles one episode runs with."""

    planner: Planner
    critic: Critic = field(default_factory=NoCritic)
    validator: Validator = field(default_factory=NoValidator)


__all__ = [
    "BasePlanner",
    "Critic",
    "EffectValidator",
    "FunctionPlanner",
    "NoCritic",
    "NoValidator",
    "PixelChangeValidator",
    "Planner",
    "PreconditionCritic",
    "Proposal",
    "Roles",
    "Validator",
]
