"""A recorded run with rejections, validator failures, action errors, env crashes and model
calls (the real runner, the real VLM planner over a scripted model), its report, and a
headless Chromium to look at it."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from agentloop.cli import main

ROOT = Path(__file__).parents[2]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]
GOAL_MARKUP = "<img src=x onerror=\"window.pwned=3\"><script>window.pwned=4</script>"
MARKED = "toy.switches__s00001__r01"  # the episode whose goal is replaced by markup


def agentloop(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The command line as a user runs it, from the repository root (so `tests.report.agents` imports)."""
    return subprocess.run([sys.executable, "-m", "agentloop", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def cli(*args: str) -> tuple[int, str, str]:
    """The command line's entry point, called in this process (no interpreter to start):
    its exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="session")
def recorded(tmp_path_factory) -> Path:
    """4 seeds x 2 rollouts of the toy env: seed 2's env crashes; every other episode has a critic
    rejection and a validator failure at step 0 and an action error at step 2, then succeeds."""
    out = tmp_path_factory.mktemp("report") / "run"
    r = agentloop("run", "agentloop/toy.switches", "-n", "4", "--group-size", "2", "--max-steps", "8",
                  "--planner", "tests.report.agents:mischief", "--env-arg", "slip_first=1",
                  "--env-arg", "crash_on_seed=2", "--out", str(out))
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    # A page could say anything: the goal an env reports is shown as text too.
    record = out / "episodes" / MARKED / "episode.json"
    data = json.loads(record.read_text())
    data["goal"] = GOAL_MARKUP
    record.write_text(json.dumps(data))
    return out


@pytest.fixture
def run_copy(recorded, tmp_path) -> Path:
    """A copy of the recorded run (without a report) that a test may change."""
    dst = tmp_path / "run"
    shutil.copytree(recorded, dst, ignore=shutil.ignore_patterns("report"))
    return dst


@pytest.fixture(scope="session")
def report(recorded) -> Path:
    code, out, err = cli("report", str(recorded))
    assert code == 0 and "8 episodes" in out, err
    return recorded / "report"


@pytest.fixture(scope="module")
def browser():
    # Per module, not per session: a sync Playwright left running keeps an event loop running in
    # this thread, and every later test that starts sync Playwright (the web env) would fail.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        yield b
        b.close()


@contextlib.contextmanager
def checked_page(browser, viewport: dict[str, int]):
    """A fresh page in a window of `viewport`, failing the test on any script error."""
    context = browser.new_context(viewport=viewport)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert not errors, errors


@pytest.fixture
def page(browser):
    """A fresh page that fails the test on any script error."""
    with checked_page(browser, {"width": 1300, "height": 900}) as pg:
        yield pg
