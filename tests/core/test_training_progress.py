"""Training a small model says how far it is and how long is left, from its first step on,
instead of printing the trainer's numbers every tenth of the run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentloop.models.train_progress import duration

pytest.importorskip("trl")
pytest.importorskip("torch")


def test_durations_read_as_a_person_reads_them():
    assert [duration(s) for s in (4.4, 59.6, 185, 3725)] == ["4 s", "1 min 00 s", "3 min 05 s", "1 h 02 min"]


def _toy_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder of a two-episode toy run's single-mode text SFT export, made offline."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    run, sft = tmp_path / "run", tmp_path / "sft"
    for args in (("run", "agentloop/toy.switches", "-n", "2", "--no-frames", "--out", str(run)),
                 ("export", str(run), "--format", "sft", "--prompt-mode", "single", "--text-only", "--out", str(sft))):
        subprocess.run([sys.executable, "-m", "agentloop", *args], check=True, capture_output=True, timeout=300)
    return sft


def test_training_reports_its_steps_and_the_time_left(tmp_path, monkeypatch):
    sft = _toy_rows(tmp_path, monkeypatch)
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
                       env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert r.returncode == 0, r.stderr[-3000:]
    lines = [line for line in r.stderr.splitlines() if line.startswith("training switches")]
    assert lines[0] == "training switches: 3 steps"
    assert lines[1].startswith("training switches: step 1/3 (33%) · ") and "left" in lines[1]
    assert lines[-2].startswith("training switches: step 3/3 (100%) · loss ") and "about 0 s left" in lines[-2]
    assert lines[-1].startswith("training switches: done in ")
    assert "{'loss'" not in r.stdout + r.stderr  # the trainer's own dicts of numbers are gone


def test_a_training_run_killed_after_a_checkpoint_resumes_there_to_the_same_model(tmp_path, monkeypatch):
    """The learning benchmark's training stages outlast a session: one killed part way is called
    again with the same arguments, goes on from its last checkpoint, and ends with the model an
    unbroken run makes."""
    torch = pytest.importorskip("torch")
    sft = _toy_rows(tmp_path, monkeypatch)
    script = """
import os, sys, datasets, torch, transformers
from agentloop.models import tiny
from agentloop.prompt_spec import PlannerMode
torch.set_num_threads(1)
out, kill_at, sft = sys.argv[1], int(sys.argv[2]), sys.argv[3]
save = transformers.Trainer._save_checkpoint
def save_then_die(self, *a, **k):  # a kill right after a checkpoint is written
    save(self, *a, **k)
    if self.state.global_step == kill_at:
        os._exit(9)
transformers.Trainer._save_checkpoint = save_then_die
rows = datasets.load_dataset("parquet", data_files=f"{sft}/sft.parquet", split="train")
tok = tiny.train_tokenizer(tiny.row_texts(rows), vocab_size=300)
torch.manual_seed(0)
tiny.train_sft(tiny.causal_lm(tok, hidden=32, layers=1), tok, rows, out, steps=12, mode=PlannerMode.SINGLE,
               batch=2, checkpoint_every=4)
"""

    def train(out: Path, kill_at: int = 0) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", script, str(out), str(kill_at), str(sft)], capture_output=True, text=True,
                              timeout=600, env={**os.environ, "OMP_NUM_THREADS": "1"})

    whole, broken = tmp_path / "whole", tmp_path / "broken"
    assert train(whole).returncode == 0
    first = train(broken, kill_at=8)
    assert first.returncode == 9 and not (broken / "model.safetensors").exists(), first.stderr[-3000:]
    assert [p.name for p in (broken / "trainer").glob("checkpoint-*")] == ["checkpoint-8"]  # only the last is kept
    second = train(broken)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "training broken: 12 steps, resuming at step 8" in second.stderr
    assert not (broken / "trainer").exists()  # the checkpoints go once the model is saved
    from safetensors.torch import load_file

    a, b = load_file(whole / "model.safetensors"), load_file(broken / "model.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
