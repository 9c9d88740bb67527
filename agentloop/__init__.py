"""agentloop: vision-language agents that act in real environments and check their own work."""

from agentloop.adapter import PlainEnv, as_skill_env
from agentloop.calls import SkillCall, SkillSpec
from agentloop.effects import Effect, absent, attr, changed, present, relation
from agentloop.env import Evaluation, SkillEnv
from agentloop.errors import ActionError, AgentLoopError, ConfigError, EnvCrashed, ErrorKind, ModelError
from agentloop.loop import EpisodeSpec, LoopLimits, run_episode
from agentloop.perception import INFO_KEY, ActionFailure, Perception, perception_of
from agentloop.records import EpisodeRecord, Outcome, Plan, RunConfig, StepRecord, Verdict, VerdictSource
from agentloop.registry import load_plugins, register
from agentloop.roles import Roles
from agentloop.scene import Node, Relation, SceneGraph
from agentloop.skillset import Executors, Skill, SkillSet, Unmet

__version__ = "0.1.0"

__all__ = [
    "INFO_KEY",
    "ActionError",
    "ActionFailure",
    "AgentLoopError",
    "ConfigError",
    "Effect",
    "EnvCrashed",
    "EpisodeRecord",
    "EpisodeSpec",
    "ErrorKind",
    "Evaluation",
    "Executors",
    "LoopLimits",
    "ModelError",
    "Node",
    "Outcome",
    "Perception",
    "PlainEnv",
    "Plan",
    "Relation",
    "Roles",
    "RunConfig",
    "SceneGraph",
    "Skill",
    "SkillCall",
    "SkillEnv",
    "SkillSet",
    "SkillSpec",
    "StepRecord",
    "Unmet",
    "Verdict",
    "VerdictSource",
    "absent",
    "as_skill_env",
    "attr",
    "changed",
    "perception_of",
    "present",
    "register",
    "relation",
    "run_episode",
]

# `import agentloop` registers every family (lazily, by "module:Class" strings: neither
# Playwright nor MuJoCo is imported), so `gymnasium.make("agentloop/robot.pick-place")` works
# as with any package that ships Gymnasium envs.
load_plugins()
