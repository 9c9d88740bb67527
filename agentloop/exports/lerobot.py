"""LeRobot v3 dataset layout: meta/info.json, meta/tasks.parquet, meta/episodes/...,
data/chunk-000/file-000.parquet with frames embedded as images.

One frame per skill call (fps 1): a skill is a whole motion, not a control tick, so the
action is the skill call as text (`action.text`) beside the numeric step signals.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import datasets
import pandas as pd

from agentloop.exports.source import Run, action_of

CODEBASE_VERSION = "v3.0"
FPS = 1
DATA_PATH = "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
EPISODES_PATH = "meta/episodes/chunk-000/file-000.parquet"


def _features(h: int, w: int) -> dict:
    scalar = lambda dtype: {"dtype": dtype, "shape": [1], "names": None}  # noqa: E731
    return {
        "observation.image": {"dtype": "image", "shape": [h, w, 3], "names": ["height", "width", "channels"]},
        "observation.progress": scalar("float32"), "action.text": scalar("string"),
        "next.reward": scalar("float32"), "next.done": scalar("bool"), "next.success": scalar("bool"),
        "step_reward": scalar("float32"), "valid_action": scalar("bool"), "label": scalar("bool"),
        "timestamp": scalar("float32"), "frame_index": scalar("int64"), "episode_index": scalar("int64"),
        "index": scalar("int64"), "task_index": scalar("int64"),
    }


def _hf_features(features: dict) -> datasets.Features:
    return datasets.Features({
        k: datasets.Image() if f["dtype"] == "image" else datasets.Value(f["dtype"]) for k, f in features.items()
    })


def export(run: Run, out: Path) -> Path:
    episodes = [ep for ep in run.episodes() if ep.steps]
    out = Path(out)
    for sub in ("meta", "data"):
        shutil.rmtree(out / sub, ignore_errors=True)
    first = next(ep.image(s.frame) for ep in episodes for s in ep.steps if s.frame)
    features = _features(first.height, first.width)
    tasks = sorted({ep.record.goal or ep.record.task for ep in episodes})
    task_index = {t: i for i, t in enumerate(tasks)}
    rows, meta, index = [], [], 0
    for e, ep in enumerate(episodes):
        start, task = index, ep.record.goal or ep.record.task
        for t, s in enumerate(ep.steps):
            rows.append({
                "observation.image": ep.image(s.frame) or first, "observation.progress": ep.rewards.progress[t],
                "action.text": action_of(s) or "", "next.reward": s.rewards.env,
                "next.done": s.terminated or s.truncated or t == len(ep.steps) - 1, "next.success": s.success,
                "step_reward": ep.rewards.step_reward[t], "valid_action": ep.rewards.valid[t],
                "label": bool(s.label), "timestamp": t / FPS, "frame_index": t, "episode_index": e,
                "index": index, "task_index": task_index[task],
            })
            index += 1
        meta.append({
            "episode_index": e, "tasks": [task], "length": len(ep.steps), "data/chunk_index": 0,
            "data/file_index": 0, "dataset_from_index": start, "dataset_to_index": index,
            "meta/episodes/chunk_index": 0, "meta/episodes/file_index": 0,
            "agentloop/episode_id": ep.record.episode_id, "success": ep.record.success,
        })
    data = out / DATA_PATH.format(chunk_index=0, file_index=0)
    data.parent.mkdir(parents=True, exist_ok=True)
    hf = _hf_features(features)
    datasets.Dataset.from_dict({k: [r[k] for r in rows] for k in hf}, features=hf).to_parquet(str(data))
    (out / EPISODES_PATH).parent.mkdir(parents=True, exist_ok=True)
    datasets.Dataset.from_list(meta).to_parquet(str(out / EPISODES_PATH))
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
