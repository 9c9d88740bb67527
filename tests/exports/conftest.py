from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def make_run(out: Path, env_id: str, *args: str) -> Path:
    subprocess.run([sys.executable, "-m", "agentloop", "run", env_id, "--out", str(out), *args],
                   check=True, capture_output=True, timeout=240, cwd=ROOT)
    return out


@pytest.fixture(scope="session")
def toy_run(tmp_path_factory) -> Path:
    # Slips make validator failures, so labels and advantages vary across the group.
    return make_run(tmp_path_factory.mktemp("toy") / "run", "agentloop/toy.switches",
                    "-n", "2", "--group-size", "3", "--env-arg", "slip=0.4", "--seed", "3")


@pytest.fixture(scope="session")
def robot_run(tmp_path_factory) -> Path:
    # A wrong first candidate at every step gives real critic rejections (preference pairs).
    return make_run(tmp_path_factory.mktemp("robot") / "run", "agentloop/robot.pick-place", "-n", "2",
                    "--candidates", "2", "--planner", "tests.exports.hasty_planner:HastyRobotPlanner")


@pytest.fixture(scope="session")
def hasty_run(tmp_path_factory) -> Path:
    return make_run(tmp_path_factory.mktemp("hasty") / "run", "agentloop/toy.switches", "-n", "2",
                    "--candidates", "2", "--planner", "tests.exports.hasty_planner:HastyPlanner")


@pytest.fixture(scope="session")
def miniwob_run(tmp_path_factory) -> Path:
    return make_run(tmp_path_factory.mktemp("miniwob") / "run", "agentloop/miniwob.click-button", "-n", "2",
                    "--candidates", "2", "--planner", "tests.exports.hasty_planner:HastyWebPlanner")


@pytest.fixture(scope="session")
def clean_run(tmp_path_factory) -> Path:
    """No critic rejection and no failed step: nothing to pair."""
    return make_run(tmp_path_factory.mktemp("clean") / "run", "agentloop/toy.switches", "-n", "1")
