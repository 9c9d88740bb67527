"""agentloop: vision-language agents that act in real environments and check their own work."""

from agentloop.env import SkillEnv
from agentloop.errors import ActionError, AgentLoopError, ConfigError, EnvCrashed, ModelError
from agentloop.loop import EpisodeSpec, LoopLimits, Roles, run_episode
from agentloop.records import EpisodeRecord, Plan, RunConfig, StepRecord, Verdict
from agentloop.registry import register
from agentloop.scene import Node, Relation, SceneGraph
from agentloop.skills import Skill, SkillCall, SkillSet, SkillSpec

__version__ = "0.1.0"

__all__ = [
    "ActionError", "AgentLoopError", "ConfigError", "EnvCrashed", "ModelError", "EpisodeSpec",
    "LoopLimits", "Roles", "run_episode", "EpisodeRecord", "Plan", "RunConfig", "StepRecord",
    "Verdict", "SkillEnv", "register", "Node", "Relation", "SceneGraph", "Skill", "SkillCall", "SkillSet", "SkillSpec",
]
