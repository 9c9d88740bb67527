"""Suite-wide settings: headless rendering, and no model requests unless a test opts in."""

import os

os.environ.setdefault("MUJOCO_GL", "egl")
os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
# Model requests are disallowed by default: a test that wants a model server starts a double
# on loopback and points at it explicitly.
os.environ.pop("OPENAI_API_KEY", None)
os.environ["OPENAI_BASE_URL"] = "http://127.0.0.1:9/v1"

from hypothesis import settings

settings.register_profile("default", max_examples=60, deadline=None)
# CI replays the same examples every run, so a landing never hinges on a random draw; local
# runs keep exploring new ones.
settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default"))
