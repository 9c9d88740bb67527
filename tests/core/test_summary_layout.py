"""The run summary and `agentloop show` as a person reads them: at 80 columns and up, every
task's name whole and no line wider than the terminal; a group run counted in rollouts."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from agentloop import registry
from agentloop.recording import RunDir
from agentloop.runner.summary import run_summary

CLI = [sys.executable, "-m", "agentloop"]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def group_run(tmp_path_factory) -> Path:
    """A real run: 2 seeds x 3 rollouts of the toy env."""
    out = tmp_path_factory.mktemp("summary") / "run"
    r = cli("run", "agentloop/toy.switches", "-n", "2", "--group-size", "3", "--no-frames", "--out", str(out))
    assert r.returncode == 0, r.stderr
    return out


def longest_tasks() -> list[str]:
    """The three longest task names registered (MiniWoB's, where the package is installed)."""
    tasks = [e.id.split("/", 1)[1] for e in registry.list_envs()]
    return sorted(tasks, key=len)[-3:]


def render(renderable, width: int) -> str:
    out = io.StringIO()
    Console(file=out, width=width, soft_wrap=True, color_system=None).print(renderable)
    return out.getvalue()


@pytest.mark.parametrize("width", [80, 100, 120, 160, 200])
def test_the_summary_keeps_task_names_whole_at_any_width(group_run, width):
    rd = RunDir(group_run)
    real = [rec for _, rec in rd.episodes()]
    names = [*longest_tasks(), "toy.switches"]
    records = [rec.model_copy(update={"task": name}) for rec, name in zip(real, names)]
    text = render(run_summary(rd, records, title=f"agentloop/{names[0]}  ({group_run})"), width)
    lines = text.splitlines()
    for name in names:
        assert any(name in line.split() for line in lines), f"{name} cut at {width} columns:\n{text}"
    assert max(map(len, lines)) <= width, text
    assert "…" not in text
    assert "100%" in text and "validator" in text and "critic" in text
    if width >= 200:  # wide enough for one table: every header on one line
        assert "validator failures" in text and "critic rejections" in text


def test_show_counts_rollouts_and_lists_them(group_run):
    r = cli("show", str(group_run))
    assert r.returncode == 0, r.stderr
    assert "6/6 rollouts finished (2 seeds x 3 rollouts)" in r.stdout
    ids = sorted(RunDir(group_run).finished_ids())
    assert len(ids) == 6 and all(eid in r.stdout for eid in ids)
    assert "verdicts" in r.stdout and "S success" in r.stdout and "f failed" in r.stdout


def test_show_counts_the_rollouts_of_a_run_driven_from_outside(group_run, tmp_path):
    """A trainer records as many rollouts as it makes; its run.json plans one episode."""
    import shutil

    run = tmp_path / "run"
    shutil.copytree(group_run, run)
    manifest = json.loads((run / "run.json").read_text())
    manifest["config"].update(episodes=1, group_size=1, planner="trl")
    (run / "run.json").write_text(json.dumps(manifest))
    r = cli("show", str(run))
    assert r.returncode == 0, r.stderr
    assert "6 rollouts of 2 seeds recorded (trl chose how many)" in r.stdout and "6/1" not in r.stdout


def test_show_and_list_mistakes_are_one_line_naming_what_exists(tmp_path):
    r = cli("show", str(tmp_path / "nowhere"))
    assert r.returncode == 2 and "no such folder" in r.stderr and "run folder" not in r.stderr
    r = cli("list", "nonsense")
    assert r.returncode == 2 and "no family 'nonsense';" in r.stderr
    assert "did you mean robot?" in cli("list", "robt").stderr
    assert all(f in r.stderr for f in ("robot", "site", "toy")) and r.stderr.count("\n") == 1
    r = cli("show", str(tmp_path), "--episodes", "x")
    assert r.returncode == 2 and "did you mean --episode?" in r.stderr
    r = cli("run", "agentloop/toy.switches", "--episode", "3")
    assert r.returncode == 2 and "did you mean --episodes?" in r.stderr and "--model" not in r.stderr
