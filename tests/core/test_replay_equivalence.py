"""An episode is a function of its env, seed, rollout and decisions: a recorded run's decisions,
replayed (`--planner replay:RUN_DIR`) on threads and in worker processes, give the same records
field by field, timings aside, in every family (the robot with its arm and without, MiniWoB and
the site in Chromium, Android against its ADB server double)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentloop.envs.android.double import AdbServerDouble
from agentloop.recording import RunDir
from agentloop.runner.replay import compare_runs

REPO = Path(__file__).parents[2]

FAMILIES = {  # env, episodes, extra flags: small samples, with failures injected where the family has them
    "toy": ("toy.switches", 4, ["--env-arg", "slip=0.3"]),
    "robot-arm": ("robot.pick-place", 3, ["--disturb", "0.3"]),
    "robot-symbolic": ("robot.occluded", 3, ["--env-arg", "arm=none", "--disturb", "0.3"]),
    "miniwob": ("miniwob.click-checkboxes", 3, []),
    "site": ("site.checkout", 2, []),
}
MODES = {"threads": ["--concurrency", "3"], "processes": ["--workers", "2"]}


def run(*args: str) -> None:
    r = subprocess.run([sys.executable, "-m", "agentloop", "run", *args, "--no-frames"], capture_output=True,
                       text=True, timeout=600, cwd=REPO, env={**os.environ, "MUJOCO_GL": "egl"})
    assert r.returncode == 0, r.stderr[-2000:]


def replays_the_same(env_id: str, n: int, flags: list[str], modes: list[list[str]], tmp: Path) -> None:
    first = tmp / "recorded"
    run(env_id, "-n", str(n), "--seed", "40", *flags, "--out", str(first))
    recs = [rec for _, rec in RunDir(first).episodes()]
    assert len(recs) == n and all(rec.outcome != "error" for rec in recs), [rec.error for rec in recs]
    for i, mode in enumerate(modes):
        again = tmp / f"replayed-{i}"
        run(env_id, "-n", str(n), "--seed", "40", *flags, "--planner", f"replay:{first}", *mode, "--out", str(again))
        assert compare_runs(first, again) == [], " ".join(mode)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_replayed_decisions_give_the_same_records_under_every_executor(family, tmp_path):
    env_id, n, flags = FAMILIES[family]
    replays_the_same(env_id, n, flags, list(MODES.values()), tmp_path)


def test_android_replays_the_same_against_a_fresh_phone(tmp_path):
    # One phone serves one episode at a time, so the check is the replay itself, in another process.
    with AdbServerDouble(0) as first, AdbServerDouble(0) as second:
        for port, out in ((first.port, "recorded"), (second.port, "replayed")):
            planner = [] if out == "recorded" else ["--planner", f"replay:{tmp_path / 'recorded'}"]
            run("android.alarm_create", "-n", "2", "--seed", "40", "--env-arg", f"adb_port={port}",
                "--env-arg", "settle_s=0", *planner, "--out", str(tmp_path / out))
    assert compare_runs(tmp_path / "recorded", tmp_path / "replayed") == []


def test_a_replay_that_differs_is_caught(tmp_path):
    first, other = tmp_path / "a", tmp_path / "b"
    run("toy.switches", "-n", "2", "--env-arg", "slip=0.3", "--out", str(first))
    run("toy.switches", "-n", "2", "--env-arg", "slip=0.6", "--planner", f"replay:{first}", "--out", str(other))
    assert compare_runs(first, other)
