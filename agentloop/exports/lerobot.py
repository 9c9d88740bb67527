"""LeRobot v3 dataset layout: meta/info.json, meta/tasks.parquet, meta/episodes/...,
data/chunk-000/file-000.parquet with frames embedded as images.

One frame per skill call (fps 1): a skill is a whole motion, not a control tick, so the
action is the skill call as text (`action.text`) beside the numeric step signals.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TypedDict

import datasets
import pandas as pd
from PIL import Image

from agentloop.exports.hf import Row
from agentloop.exports.source import Episode, Run, action_of, first_frame

CODEBASE_VERSION = "v3.0"
FPS = 1
DATA_PATH = "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
EPISODES_PATH = "meta/episodes/chunk-000/file-000.parquet"


class Feature(TypedDict):
    """One feature as `meta/info.json` describes it."""

    dtype: str
    shape: list[int]
    names: list[str] | None


def _scalar(dtype: str) -> Feature:
    return {"dtype": dtype, "shape": [1], "names": None}


def _features(h: int, w: int) -> dict[str, Feature]:
    return {
        "observation.image": {"dtype": "image", "shape": [h, w, 3], "names": ["height", "width", "channels"]},
        "observation.progress": _scalar("float32"), "action.text": _scalar("string"),
        "next.reward": _scalar("float32"), "next.done": _scalar("bool"), "next.success": _scalar("bool"),
        "step_reward": _scalar("float32"), "valid_action": _scalar("bool"), "label": _scalar("bool"),
        "timestamp": _scalar("float32"), "frame_index": _scalar("int64"), "episode_index": _scalar("int64"),
        "index": _scalar("int64"), "task_index": _scalar("int64"),
    }


def _hf_features(features: dict[str, Feature]) -> datasets.Features:
    return datasets.Features({
        k: datasets.Image() if f["dtype"] == "image" else datasets.Value(f["dtype"]) for k, f in features.items()
    })


def _task(ep: Episode) -> str:
    return ep.record.goal or ep.record.task


def _frames(ep: Episode, e: int, start: int, task_index: int, blank: Image.Image) -> list[Row]:
    """The episode's rows, one per step; `start` is the dataset index of its first."""
    last = len(ep.steps) - 1
    return [{
        "observation.image": ep.image(s.frame) or blank, "observation.progress": ep.rewards.progress[t],
        "action.text": action_of(s) or "", "next.reward": s.rewards.env,
        "next.done": s.terminated or s.truncated or t == last, "next.success": s.success,
        "step_reward": ep.rewards.step_reward[t], "valid_action": ep.rewards.valid[t],
        "label": bool(s.label), "timestamp": t / FPS, "frame_index": t, "episode_index": e,
        "index": start + t, "task_index": task_index,
    } for t, s in enumerate(ep.steps)]


def _episode_meta(ep: Episode, e: int, start: int) -> Row:
    return {
        "episode_index": e, "tasks": [_task(ep)], "length": len(ep.steps), "data/chunk_index": 0,
        "data/file_index": 0, "dataset_from_index": start, "dataset_to_index": start + len(ep.steps),
        "meta/episodes/chunk_index": 0, "meta/episodes/file_index": 0,
        "agentloop/episode_id": ep.record.episode_id, "success": ep.record.success,
    }


def export(run: Run, out: Path) -> Path:
    episodes = [ep for ep in run.episodes() if ep.steps]
    out = Path(out)
    for sub in ("meta", "data"):
        shutil.rmtree(out / sub, ignore_errors=True)
    first = first_frame(episodes)
    features = _features(first.height, first.width)
    tasks = sorted({_task(ep) for ep in episodes})
    task_index = {t: i for i, t in enumerate(tasks)}
    rows: list[Row] = []
    meta: list[Row] = []
    for e, ep in enumerate(episodes):
        meta.append(_episode_meta(ep, e, len(rows)))
        rows += _frames(ep, e, len(rows), task_index[_task(ep)], first)
    data = out / DATA_PATH.format(chunk_index=0, file_index=0)
    data.parent.mkdir(parents=True, exist_ok=True)
    hf = _hf_features(features)
    datasets.Dataset.from_dict({k: [r[k] for r in rows] for k in hf}, features=hf).to_parquet(str(data))
    (out / EPISODES_PATH).parent.mkdir(parents=True, exist_ok=True)
    datasets.Dataset.from_list([dict(m) for m in meta]).to_parquet(str(out / EPISODES_PATH))
    pd.DataFrame({"task_index": range(len(tasks))}, index=pd.Index(tasks, name="task")).to_parquet(
        out / "meta" / "tasks.parquet")
    info = {
        "codebase_version": CODEBASE_VERSION, "robot_type": run.manifest.env_ids[0].split("/")[-1],
        "total_episodes": len(episodes), "total_frames": len(rows), "total_tasks": len(tasks),
        "chunks_size": 1000, "data_files_size_in_mb": 100, "video_files_size_in_mb": 200, "fps": FPS,
        "splits": {"train": f"0:{len(episodes)}"}, "data_path": DATA_PATH, "video_path": None,
        "features": features,
    }
    (out / "meta" / "info.json").write_text(json.dumps(info, indent=2), "utf-8")
    return out
