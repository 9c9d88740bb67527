"""agentloop's envs as the environment side of RL trainers.

A trainer's policy proposes each action; the session around the env keeps the closed loop's
judges: the rule critic before the action (a rejection is the answer, and nothing runs) and
the validator after it, with every step recorded as the loop records it. `session` holds that
core; `trl` turns it into TRL's `environment_factory`, and `agentloop.serve` into an
OpenEnv-compatible server.
"""

from agentloop.integrations.recorder import RolloutRecorder
from agentloop.integrations.session import ExternalPolicy, Session, Turn

__all__ = ["ExternalPolicy", "RolloutRecorder", "Session", "Turn"]
