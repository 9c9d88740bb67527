from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOY = "agentloop/toy.switches"


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    # One torch thread: the machines this runs on are small and shared.
    return subprocess.run([sys.executable, "-m", "agentloop", *args], check=True, capture_output=True, text=True,
                          timeout=300, cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": "1", **(env or {})})


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    # Everything a model needs is built here; a download attempt is a failure.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")


@pytest.fixture(scope="session")
def scripted_toy(tmp_path_factory) -> Path:
    """Scripted runs on the toy env; slips make validator failures, so the planner replans."""
    out = tmp_path_factory.mktemp("learning") / "scripted"
    cli("run", TOY, "-n", "3", "--seed", "3", "--env-arg", "slip=0.3", "--out", str(out))
    return out


