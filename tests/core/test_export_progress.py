"""An export of a large run says how far it is: each episode read, and each one rendered where
its rows are the model planner's prompts."""

from __future__ import annotations

import subprocess
import sys

from agentloop.exports import PromptOptions, export
from agentloop.prompt_spec import PlannerMode


def test_an_export_reports_each_episode_read_and_rendered(tmp_path):
    run = tmp_path / "run"
    subprocess.run([sys.executable, "-m", "agentloop", "run", "agentloop/toy.switches", "-n", "3", "--no-frames",
                    "--out", str(run)], check=True, capture_output=True, timeout=300)
    heard: list[tuple[str, int, int]] = []
    export(run, "sft", tmp_path / "sft", options=PromptOptions(mode=PlannerMode.SINGLE, images=False),
           progress=lambda what, done, total: heard.append((what, done, total)))
    reading = [h for h in heard if h[0] == "reading episodes"]
    rendering = [h for h in heard if h[0] == "rendering prompts"]
    assert reading == [("reading episodes", k, 3) for k in (1, 2, 3)]
    assert rendering == [("rendering prompts", k, 3) for k in (1, 2, 3)]
    heard.clear()
    export(run, "parquet", tmp_path / "parquet", progress=lambda what, done, total: heard.append((what, done, total)))
    assert heard[-1] == ("reading episodes", 3, 3)
