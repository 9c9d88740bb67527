"""The robot skill vocabulary the env executes (`skills/robot.py`)."""

from agentloop.skills.robot import SKILLS

__all__ = ["SKILLS"]
