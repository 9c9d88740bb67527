"""The checks CI runs on the code itself: ruff's rule set, mypy on the core, and the
import-linter contracts (all configured in pyproject.toml)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


def _run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("tool", ["ruff", "lint-imports"])
def test_tool_is_installed(tool):
    assert shutil.which(tool), f"{tool} is missing: install the test extra (pip install -e '.[test]')"


def test_ruff_passes():
    r = _run("ruff", "check", ".")
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]


def test_mypy_passes_on_the_core():
    r = _run(sys.executable, "-m", "mypy")
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-2000:]


def test_import_contracts_hold():
    r = _run("lint-imports")
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
