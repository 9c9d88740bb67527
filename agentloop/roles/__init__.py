"""The roles of the loop, each a small Protocol with its implementations beside it."""

from agentloop.roles.context import Context, HistoryItem
from agentloop.roles.critic import Critic, NoCritic, PreconditionCritic
from agentloop.roles.planner import FunctionPlanner, Planner
from agentloop.roles.validator import EffectValidator, NoValidator, PixelChangeValidator, Validator

__all__ = [
    "Context", "HistoryItem", "Critic", "NoCritic", "PreconditionCritic", "Planner",
    "FunctionPlanner", "Validator", "NoValidator", "EffectValidator", "PixelChangeValidator",
]
