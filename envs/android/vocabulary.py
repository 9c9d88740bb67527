"""The Android skill vocabulary the env executes (`skills/android.py`)."""

from agentloop.skills.android import SKILLS

__all__ = ["SKILLS"]
