"""Training a small model says how far it is and how long is left, from its first step on,
instead of printing the trainer's numbers every tenth of the run."""

from __future__ import annotations

import subprocess
import sys

import pytest

from agentloop.models.train_progress import duration

pytest.importorskip("trl")
pytest.importorskip("torch")


def test_durations_read_as_a_person_reads_them():
    assert [duration(s) for s in (4.4, 59.6, 185, 3725)] == ["4 s", "1 min 00 s", "3 min 05 s", "1 h 02 min"]


def test_training_reports_its_steps_and_the_time_left(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    run, sft = tmp_path / "run", tmp_path / "sft"
    for args in (("run", "agentloop/toy.switches", "-n", "2", "--no-frames", "--out", str(run)),
                 ("export", str(run), "--format", "sft", "--prompt-mode", "single", "--text-only", "--out", str(sft))):
        subprocess.run([sys.executable, "-m", "agentloop", *args], check=True, capture_output=True, timeout=300)
    script = f"""
import datasets, torch
from agentloop.models import tiny
from agentloop.prompt_spec import PlannerMode
torch.set_num_threads(1)
rows = datasets.load_dataset("parquet", data_files="{sft}/sft.parquet", split="train")
tok = tiny.train_tokenizer(tiny.row_texts(rows), vocab_size=300)
tiny.train_sft(tiny.causal_lm(tok, hidden=32, layers=1), tok, rows, "{tmp_path}/switches", steps=3,
               mode=PlannerMode.SINGLE)
"""
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600,
                       env={**__import__("os").environ, "OMP_NUM_THREADS": "1"})
    assert r.returncode == 0, r.stderr[-3000:]
    lines = [line for line in r.stderr.splitlines() if line.startswith("training switches")]
    assert lines[0] == "training switches: 3 steps"
    assert lines[1].startswith("training switches: step 1/3 (33%) · ") and "left" in lines[1]
    assert lines[-2].startswith("training switches: step 3/3 (100%) · loss ") and "about 0 s left" in lines[-2]
    assert lines[-1].startswith("training switches: done in ")
    assert "{'loss'" not in r.stdout + r.stderr  # the trainer's own dicts of numbers are gone
