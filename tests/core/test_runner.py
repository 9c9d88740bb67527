"""The runner and CLI as a user drives them: real subprocesses, real files, a real SIGKILL."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agentloop.recording import RunDir, read_steps
from agentloop.rewards import EPISODE_FILE, GROUPS_FILE, EpisodeRewards, compute_episode

CLI = [sys.executable, "-m", "agentloop"]


def cli(*args, timeout=120, **kw):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout, **kw)


def assert_whole(run_dir: Path, expected: int):
    rd = RunDir(run_dir)
    episodes = list(rd.episodes())
    assert len(episodes) == expected
    assert not (rd.episodes_dir / ".partial").exists() or not any((rd.episodes_dir / ".partial").iterdir())
    for folder, rec in episodes:
        steps = read_steps(folder)
        assert len(steps) == rec.steps
        assert [s.index for s in steps] == list(range(rec.steps))
        for s in steps:
            for ref in (s.frame, s.frame_after):
                assert ref is None or (folder / ref).stat().st_size > 0
    return [rec for _, rec in episodes]


def test_run_writes_a_complete_folder_and_summary(tmp_path):
    out = tmp_path / "run"
    r = cli("run", "agentloop/toy.switches", "-n", "4", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "run summary" not in r.stderr and "100%" in r.stdout
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["config"]["env_id"] == "agentloop/toy.switches"
    assert manifest["versions"]["gymnasium"] and manifest["env_ids"] == ["agentloop/toy.switches"]
    recs = assert_whole(out, 4)
    assert all(r.success for r in recs)
    shown = cli("show", str(out))
    assert shown.returncode == 0 and "4/4 episodes finished" in shown.stdout


def test_derived_rewards_are_there_when_the_run_ends(tmp_path):
    out = tmp_path / "run"
    r = cli("run", "toy.switches", "-n", "3", "--group-size", "2", "--out", str(out), "--no-frames")
    assert r.returncode == 0, r.stderr
    for folder, rec in RunDir(out).episodes():
        stored = EpisodeRewards.model_validate_json((folder / EPISODE_FILE).read_text("utf-8"))
        assert stored == compute_episode(rec, read_steps(folder))
    groups = [json.loads(line) for line in (out / GROUPS_FILE).read_text().splitlines()]
    assert sorted(g["seed"] for g in groups) == [0, 1, 2] and all(len(g["episodes"]) == 2 for g in groups)


def test_episodes_in_flight_on_threads_each_own_an_env(tmp_path):
    out = tmp_path / "run"
    r = cli("run", "toy.switches", "-n", "6", "--concurrency", "3", "--out", str(out), "--env-arg", "crash_on_seed=4")
    assert r.returncode == 0, r.stderr
    recs = {r.seed: r for r in assert_whole(out, 6)}
    assert recs[4].outcome == "error" and all(recs[s].success for s in recs if s != 4)


def test_secrets_never_reach_the_record(tmp_path):
    out = tmp_path / "run"
    r = cli("run", "toy.switches", "--out", str(out), "--api-key", "sk-very-secret", env={**os.environ, "OPENAI_API_KEY": "sk-env-secret"})
    assert r.returncode == 0, r.stderr
    blob = "".join(p.read_text(errors="ignore") for p in out.rglob("*.json*"))
    assert "sk-very-secret" not in blob and "sk-env-secret" not in blob


def test_worker_processes_and_a_crashing_env(tmp_path):
    out = tmp_path / "run"
    r = cli("run", "toy.switches", "-n", "6", "--workers", "2", "--out", str(out), "--env-arg", "crash_on_seed=2")
    assert r.returncode == 0, r.stderr
    recs = {r.seed: r for r in assert_whole(out, 6)}
    assert recs[2].outcome == "error" and "simulated crash" in recs[2].error
    assert all(recs[s].success for s in recs if s != 2)  # rebuilt env, the run went on
    assert "error" in r.stdout


def test_user_mistakes_get_one_line(tmp_path):
    r = cli("run", "agentloop/robot.pick-placee")
    assert r.returncode == 2 and "did you mean" in r.stderr and "Traceback" not in r.stderr
    r = cli("run", "toy.switches", "--episdoes", "3")
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and "--episodes" in r.stderr
    r = cli("run", "toy.switches", "--critic", "maybe")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    r = cli("show", str(tmp_path))
    assert r.returncode == 2 and "not a run folder" in r.stderr
    out = tmp_path / "again"
    assert cli("run", "toy.switches", "--out", str(out)).returncode == 0
    r = cli("run", "toy.switches", "--out", str(out))
    assert r.returncode == 2 and "--resume" in r.stderr


@pytest.mark.parametrize("spread", [[], ["--concurrency", "2"], ["--workers", "2"]])
def test_a_configuration_mistake_stops_the_run_in_one_line(tmp_path, spread):
    """However the episodes are spread, a mistake every episode would meet ends the run once."""
    r = cli("run", "CartPole-v1", "-n", "3", *spread, "--out", str(tmp_path / "run"))
    assert r.returncode == 2 and "has no scripted planner" in r.stderr and "Traceback" not in r.stderr


def test_a_model_that_cannot_be_reached_stops_the_run_before_it_starts(tmp_path):
    """No retries per step, no 0 %-with-0-errors summary: one line naming the URL and the fix."""
    out = tmp_path / "run"
    r = cli("run", "toy.switches", "-n", "3", "--model", "openai:some-model", "--base-url", "http://127.0.0.1:9/v1",
            "--out", str(out), timeout=60)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    line = r.stderr.strip()
    assert "\n" not in line and "http://127.0.0.1:9/v1" in line and "--base-url" in line and "OPENAI_BASE_URL" in line
    assert not out.exists()  # nothing was started


def test_resume_after_sigkill(tmp_path):
    out = tmp_path / "run"
    n = 30
    args = [*CLI, "run", "toy.switches", "-n", str(n), "--out", str(out), "--env-arg", "step_delay=0.05"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    episodes = out / "episodes"
    deadline = time.time() + 60
    while time.time() < deadline:
        done = [p for p in episodes.glob("*") if (p / "episode.json").exists()] if episodes.exists() else []
        if len(done) >= n // 3:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = {p.name: (p / "episode.json").read_bytes() for p in episodes.glob("*") if (p / "episode.json").exists()}
    assert 0 < len(before) < n
    r = cli("run", "toy.switches", "-n", str(n), "--out", str(out), "--env-arg", "step_delay=0.05", "--resume")
    assert r.returncode == 0, r.stderr
    assert f"{len(before)} episodes done" in r.stdout
    recs = assert_whole(out, n)
    assert sorted(r.seed for r in recs) == list(range(n))
    for name, data in before.items():  # finished episodes were neither redone nor rewritten
        assert (episodes / name / "episode.json").read_bytes() == data


def test_group_size_runs_rollouts_per_seed(tmp_path):
    out = tmp_path / "run"
    assert cli("run", "toy.switches", "-n", "2", "--group-size", "3", "--out", str(out), "--no-frames").returncode == 0
    recs = assert_whole(out, 6)
    assert sorted((r.seed, r.rollout) for r in recs) == [(s, k) for s in range(2) for k in range(3)]


def test_ray_executor_runs_the_same_command(tmp_path):
    pytest.importorskip("ray")
    out = tmp_path / "run"
    r = cli("run", "toy.switches", "-n", "4", "--executor", "ray", "--workers", "2", "--out", str(out), timeout=240)
    assert r.returncode == 0, r.stderr
    assert all(rec.success for rec in assert_whole(out, 4))


def test_a_plain_gymnasium_env_runs(tmp_path):
    out = tmp_path / "run"
    r = cli("run", "CartPole-v1", "-n", "2", "--planner", "tests.core.plain_policy:planner", "--max-steps", "40", "--out", str(out), cwd=Path(__file__).parents[2])
    assert r.returncode == 0, r.stderr
    recs = assert_whole(out, 2)
    assert all(rec.steps >= 10 and rec.outcome in ("truncated", "failure") for rec in recs)
    steps = read_steps(out / "episodes" / recs[0].episode_id)
    assert steps[0].action.name == "act" and steps[0].action.args["action"] in (0, 1)
    assert steps[0].scene_graph is None and steps[0].rewards.env == 1.0


def test_a_worker_process_that_dies_costs_one_episode(tmp_path):
    out = tmp_path / "run"
    r = cli("run", "toy.switches", "-n", "5", "--workers", "2", "--out", str(out), "--env-arg", "die_on_seed=1")
    assert r.returncode == 0, r.stderr
    recs = {r.seed: r for r in assert_whole(out, 5)}
    assert recs[1].outcome == "error" and "worker process died" in recs[1].error
    assert all(recs[s].success for s in recs if s != 1)
