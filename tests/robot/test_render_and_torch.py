"""A robot env's frames and a PyTorch model in one process: Mesa's LLVM (headless EGL) and
Triton's own LLVM must both load, in whichever order the two are first used. In a fresh
process each time, since what a process has loaded cannot be unloaded."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

RENDER_THEN_TORCH = """
from agentloop import registry
env = registry.make("agentloop/robot.pick-place")
obs, _ = env.reset(seed=0)
assert obs["screenshot"].any()  # a frame came from the GL context
import torch._dynamo  # what transformers imports when it loads a model; it imports Triton
env.close()
print("both loaded")
"""


@pytest.mark.skipif(importlib.util.find_spec("triton") is None, reason="Triton is not installed")
def test_a_frame_rendered_first_does_not_crash_pytorch():
    done = subprocess.run([sys.executable, "-c", RENDER_THEN_TORCH], env={**os.environ, "MUJOCO_GL": "egl"},
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("both loaded")


FIRST_FRAMES_ON_THREADS = """
from concurrent.futures import ThreadPoolExecutor
from agentloop import registry

def first_frame(seed):
    env = registry.make("agentloop/robot.pick-place", arm="none")
    obs, _ = env.reset(seed=seed)
    env.close()
    return bool(obs["screenshot"].any())

with ThreadPoolExecutor(8) as pool:
    assert all(pool.map(first_frame, range(8)))
print("all framed")
"""


@pytest.mark.skipif(importlib.util.find_spec("triton") is None, reason="Triton is not installed")
def test_envs_framing_first_on_threads_at_once_do_not_crash():
    # Each fresh process loads Triton and Mesa for the first time while 8 envs reset at once:
    # the order above must hold across threads too (it took one process in four down before).
    for _ in range(4):
        done = subprocess.run([sys.executable, "-c", FIRST_FRAMES_ON_THREADS], capture_output=True, text=True,
                              env={**os.environ, "MUJOCO_GL": "egl"}, timeout=240)
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.strip().endswith("all framed")
