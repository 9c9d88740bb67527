"""The lerobot export of a robot run and of a MiniWoB run, loaded by LeRobot's own
`LeRobotDataset` (v3.0 layout) from the local folder, in the LeRobot environment that
`scripts/setup.sh` makes."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from agentloop.exports import export
from agentloop.recording import read_steps
from agentloop.recording.run import RunDir

LOADER = Path(__file__).with_name("lerobot_loader.py")
RUNS = ("robot_run", "miniwob_run")


def lerobot_python() -> Path:
    venv = Path(os.environ.get("AGENTLOOP_LEROBOT_VENV", Path.home() / ".cache/agentloop/lerobot-venv"))
    python = venv / "bin" / "python"
    if not python.exists():
        pytest.fail(f"no LeRobot environment at {venv}: run scripts/setup.sh (or set AGENTLOOP_LEROBOT_VENV)")
    return python


@pytest.fixture(scope="module")
def loaded(request, tmp_path_factory) -> dict[str, tuple[Path, dict]]:
    """Export both runs, then load both exports in one LeRobot process (its import is slow)."""
    runs = {name: request.getfixturevalue(name) for name in RUNS}
    out = {name: export(run, "lerobot", tmp_path_factory.mktemp(name) / "lerobot") for name, run in runs.items()}
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    proc = subprocess.run([str(lerobot_python()), str(LOADER), *map(str, out.values())],
                          capture_output=True, text=True, timeout=240, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert len(seen) == len(RUNS)
    return {name: (runs[name], info) for name, info in zip(RUNS, seen)}


@pytest.mark.parametrize("name", RUNS)
def test_lerobot_dataset_loads_export(loaded, name):
    run_dir, info = loaded[name]
    episodes = list(RunDir(run_dir).episodes())
    steps = [s for folder, _ in episodes for s in read_steps(folder)]
    assert info["codebase_version"] == "v3.0"
    assert (info["frames"], info["episodes"]) == (len(steps), len(episodes))
    assert info["episode_lengths"] == [rec.steps for _, rec in episodes]
    assert info["episode_index"] == [e for e, (_, rec) in enumerate(episodes) for _ in range(rec.steps)]
    assert info["frame_index"] == [t for _, rec in episodes for t in range(rec.steps)]
    assert info["camera_keys"] == ["observation.image"]
    for key in ("observation.image", "action.text", "next.reward", "next.done", "step_reward",
                "valid_action", "label", "timestamp", "frame_index", "episode_index", "index", "task_index"):
        assert key in info["features"]
    # LeRobot hands images to a policy as float CHW tensors in [0, 1].
    frame0 = np.asarray(Image.open(episodes[0][0] / steps[0].frame).convert("RGB"))
    assert info["image_shape"] == [3, *frame0.shape[:2]]
    assert 0.0 <= info["image_range"][0] <= info["image_range"][1] <= 1.0
    assert info["actions"] == [s.action_text or str(s.action) for s in steps]
    assert info["tasks"] == [rec.goal or rec.task for _, rec in episodes for _ in range(rec.steps)]
