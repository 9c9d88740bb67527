"""`agentloop report RUN_DIR --watch` / `agentloop view RUN_DIR`: keep the report current
while a run goes, adding episodes as they land, until the run has all of them."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from agentloop.recording import RunDir
from agentloop.report.site import BuildResult, build_site

Say = Callable[[BuildResult], None]


def _wait_for_run(rd: RunDir, interval: float, deadline: float | None) -> bool:
    """Wait for the run's manifest (a view may be started before the run); False at the deadline."""
    while not rd.exists():
        if deadline is not None and time.monotonic() >= deadline:
            return False
        time.sleep(interval)
    return True


def watch(run_dir: Path | str, out: Path | str | None = None, interval: float = 2.0, jobs: int | None = None,
          say: Say | None = None, timeout: float | None = None) -> BuildResult | None:
    """Rebuild every `interval` seconds while episodes land; return once the run has every
    episode it asks for (or after `timeout` seconds, or on Ctrl-C) with a last build that
    tells open pages to stop polling. None if the run never started (no `run.json` came).
    A run that stops short of its episodes is watched until Ctrl-C or the timeout."""
    rd = RunDir(run_dir)
    deadline = time.monotonic() + timeout if timeout is not None else None
    try:
        if not _wait_for_run(rd, interval, deadline):
            return None
    except KeyboardInterrupt:
        return None
    last = -1
    try:
        while True:
            result = build_site(rd.path, out, jobs, live=True)
            if say is not None and result.episodes != last:
                say(result)
            last = result.episodes
            if result.episodes >= result.expected or (deadline is not None and time.monotonic() >= deadline):
                break
            time.sleep(interval)
    except KeyboardInterrupt:
        pass
    return build_site(rd.path, out, jobs, live=False)
