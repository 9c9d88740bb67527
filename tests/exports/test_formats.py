from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import datasets
import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

from agentloop.errors import ConfigError, ErrorKind
from agentloop.exports import Filters, Run, export
from agentloop.recording import read_steps
from agentloop.recording.run import RunDir
from agentloop.records import VerdictSource


def _steps(run_dir):
    return sum(rec.steps for _, rec in RunDir(run_dir).episodes())


def _load(path):
    return datasets.load_dataset("parquet", data_files=str(path), split="train")


@pytest.fixture(scope="module", params=["toy_run", "robot_run", "miniwob_run"])
def run_dir(request):
    return request.getfixturevalue(request.param)


def test_parquet_one_row_per_step_with_images(run_dir, tmp_path):
    ds = _load(export(run_dir, "parquet", tmp_path))
    assert len(ds) == _steps(run_dir)
    assert isinstance(ds.features["frame"], datasets.Image)
    assert isinstance(ds[0]["frame"], Image.Image)
    for col in ("state_key", "action", "valid_action", "critic_score", "validator_ok", "label",
                "contribution", "step_reward", "return", "advantage", "logprob_sum", "mean_entropy",
                "action_error_kind", "critic_source", "validator_source"):
        assert col in ds.column_names
    # Enums go out as their values, and every step of these runs had a judged critic and validator.
    assert set(ds["critic_source"]) | set(ds["validator_source"]) <= {s.value for s in VerdictSource}
    assert set(ds["action_error_kind"]) <= {k.value for k in ErrorKind} | {None}
    errors = [s for f, _ in RunDir(run_dir).episodes() for s in read_steps(f) if s.action_error_kind]
    assert sum(k is not None for k in ds["action_error_kind"]) == len(errors)
    first = next(RunDir(run_dir).episodes())[0]
    on_disk = np.asarray(Image.open(first / "frames" / "0000.png").convert("RGB"))
    assert np.array_equal(np.asarray(ds[0]["frame"]), on_disk)


def test_groups_with_advantages(run_dir, tmp_path):
    ds = _load(export(run_dir, "groups", tmp_path))
    assert len(ds) == sum(1 for _ in RunDir(run_dir).episodes())
    assert {"group", "task", "seed", "episode_advantage", "steps"} <= set(ds.column_names)
    assert {"advantage", "step_advantage", "return", "state_key", "prompt", "completion"} <= set(ds[0]["steps"][0])
    # Each step carries the planner prompt that decided it and the reply, as the SFT rows do.
    first = ds[0]["steps"][0]
    assert "GOAL: " in first["prompt"] and json.loads(first["completion"])


def test_toy_groups_have_three_rollouts(toy_run, tmp_path):
    ds = _load(export(toy_run, "groups", tmp_path))
    assert sorted(set(ds["group_size"])) == [3] and len(set(ds["group"])) == 2


def test_minari_loads(run_dir, tmp_path, monkeypatch):
    import minari

    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path))
    path = export(run_dir, "minari", tmp_path)
    did = f"{path.parent.name}/{path.name}"
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path))
    ds = minari.load_dataset(did)
    recs = [rec for _, rec in RunDir(run_dir).episodes()]
    assert ds.total_episodes == len(recs) and ds.total_steps == sum(r.steps for r in recs)
    keys = None
    for ep, (folder, rec) in zip(ds.iterate_episodes(), RunDir(run_dir).episodes()):
        assert ep.observations["screenshot"].shape[0] == rec.steps + 1
        assert len(ep.observations["text"]) == rec.steps + 1
        assert " " in ep.observations["text"][0]  # real text survives the charset
        assert keys is None or set(ep.infos) == keys
        keys = set(ep.infos)
        frame0 = np.asarray(Image.open(folder / "frames" / "0000.png").convert("RGB"))
        assert np.array_equal(ep.observations["screenshot"][0], frame0)  # lossless


def test_filters(toy_run, tmp_path):
    ok = {rec.episode_id for _, rec in RunDir(toy_run).episodes() if rec.success}
    ds = _load(export(toy_run, "prm", tmp_path, Filters(success_only=True)))
    assert set(ds["episode_id"]) == ok
    with pytest.raises(ConfigError):
        Run(toy_run, Filters(task="robot.stack")).episodes()
    with pytest.raises(ConfigError):
        Run(toy_run, Filters(until=date(2000, 1, 1))).episodes()


def test_cli_export_and_errors(toy_run, tmp_path):
    cmd = [sys.executable, "-m", "agentloop", "export", str(toy_run)]
    ok = subprocess.run(cmd + ["--format", "parquet", "--out", str(tmp_path), "--task", "toy.switches"],
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and (tmp_path / "steps.parquet").exists()
    assert pq.read_metadata(tmp_path / "steps.parquet").num_rows == _steps(toy_run)
    bad = subprocess.run(cmd + ["--format", "nope", "--out", str(tmp_path)], capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown export format" in bad.stderr and "Traceback" not in bad.stderr


def test_lerobot_v3_layout(run_dir, tmp_path):
    out = export(run_dir, "lerobot", tmp_path / "lr")
    info = json.loads((out / "meta" / "info.json").read_text())
    n_steps, n_eps = _steps(run_dir), sum(1 for _ in RunDir(run_dir).episodes())
    assert info["codebase_version"] == "v3.0"
    assert (info["total_frames"], info["total_episodes"]) == (n_steps, n_eps)
    data = pq.read_table(out / info["data_path"].format(chunk_index=0, file_index=0))
    assert data.num_rows == n_steps
    assert set(info["features"]) == set(data.schema.names)
    for key in ("timestamp", "frame_index", "episode_index", "index", "task_index", "observation.image"):
        assert key in data.schema.names
    episodes = pq.read_table(out / "meta/episodes/chunk-000/file-000.parquet").to_pylist()
    assert [e["length"] for e in episodes] == [rec.steps for _, rec in RunDir(run_dir).episodes()]
    assert episodes[-1]["dataset_to_index"] == n_steps
    tasks = pq.read_table(out / "meta/tasks.parquet").to_pandas()
    assert info["total_tasks"] == len(tasks) and "task_index" in tasks.columns
    ds = datasets.load_dataset("parquet", data_files=str(out / "data/chunk-000/file-000.parquet"), split="train")
    assert isinstance(ds.features["observation.image"], datasets.Image)
