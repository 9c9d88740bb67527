"""The context a model is trained on carries what it needs from earlier steps: on MiniWoB's
find-greatest (real Chromium), each click shows one card's number and hides the last one, and
the rows exported from a scripted run recall every number shown before and hidden since."""

from __future__ import annotations

import re

import datasets

from agentloop.exports import PromptOptions, export
from agentloop.prompt_spec import PlannerMode
from agentloop.recording import read_steps
from agentloop.recording.run import RunDir
from agentloop.scene import SceneGraph
from tests.learning.conftest import cli

TASK = "agentloop/miniwob.find-greatest"


def _numbers(scene: dict) -> set[str]:
    return {n.name for n in SceneGraph.model_validate(scene).nodes if re.fullmatch(r"\d+", n.name)}


def test_rows_recall_the_numbers_earlier_steps_showed(tmp_path):
    out = tmp_path / "run"
    cli("run", TASK, "-n", "1", "--seed", "4", "--out", str(out), "--no-frames")
    (folder, record), = RunDir(out).episodes()
    steps = read_steps(folder)
    assert len(steps) >= 3, "the scripted planner looks at several cards"
    rows = datasets.load_dataset("parquet", split="train", data_files=str(
        export(out, "sft", tmp_path / "sft", options=PromptOptions(mode=PlannerMode.SINGLE, images=False))))
    for row in rows:
        k = row["step"]
        prompt = next(m["content"] for m in row["messages"] if m["role"] == "user")
        assert f"STEP {k + 1} of {record.max_steps}" in prompt
        hidden = set().union(*(_numbers(s.scene_graph) for s in steps[:k])) - _numbers(steps[k].scene_graph)
        memory = prompt.split("NO LONGER IN VIEW", 1)[1].split("\n\n", 1)[0] if hidden else ""
        assert all(f'"{n}"' in memory for n in hidden), (k, hidden, memory)
    assert any("NO LONGER IN VIEW" in next(m["content"] for m in r["messages"] if m["role"] == "user") for r in rows)
