"""Step-level rewards derived from recorded episodes (SPA attribution, G-RA gating, GiGPO)."""

from agentloop.rewards.episode import attribute, compute_episode, discounted
from agentloop.rewards.files import derive_episode, derive_run, episode_rewards, read_groups
from agentloop.rewards.groups import gigpo, relative
from agentloop.rewards.models import (
    EPISODE_FILE,
    GROUPS_FILE,
    EpisodeAdvantage,
    EpisodeRewards,
    GroupAdvantages,
    RewardConfig,
    StepAdvantage,
)

__all__ = [
    "EPISODE_FILE", "GROUPS_FILE", "EpisodeAdvantage", "EpisodeRewards", "GroupAdvantages",
    "RewardConfig", "StepAdvantage", "attribute", "compute_episode", "derive_episode", "derive_run",
    "discounted", "episode_rewards", "gigpo", "read_groups", "relative",
]
