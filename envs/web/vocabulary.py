"""The web skill vocabulary the env executes (`skills/web.py`)."""

from agentloop.skills.web import WEB_SKILLS

__all__ = ["WEB_SKILLS"]
