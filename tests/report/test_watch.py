"""`--watch`: the report kept current while episodes land, and an open index that shows them."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from agentloop.report import watch


def _stage(run: Path, keep: int) -> tuple[Path, list[str]]:
    """Move all but `keep` landed episodes aside, as if they were still running."""
    staged = run / "staged"
    staged.mkdir()
    ids = sorted(p.name for p in (run / "episodes").iterdir() if not p.name.startswith("."))
    for eid in ids[keep:]:
        os.rename(run / "episodes" / eid, staged / eid)
    return staged, ids[keep:]


def test_watch_adds_episodes_as_they_land_and_an_open_index_shows_them(run_copy, page):
    staged, later = _stage(run_copy, keep=5)
    done: list[object] = []
    t = threading.Thread(target=lambda: done.append(watch(run_copy, interval=0.2, jobs=1, timeout=60)), daemon=True)
    t.start()
    index = run_copy / "report" / "index.html"
    page.wait_for_timeout(100)
    while not (run_copy / "report" / "data" / "episodes.js").exists():
        page.wait_for_timeout(100)
    page.goto(index.as_uri() + "#outcome=success")
    page.wait_for_function("document.querySelectorAll('#episode-list tbody tr').length >= 1")
    assert "updating while the run goes" in page.inner_text("header")
    before = page.locator("#episode-list tbody tr").count()
    for eid in later:  # they land the way the runner lands them: one rename each
        os.rename(staged / eid, run_copy / "episodes" / eid)
    t.join(timeout=60)
    assert done and done[0] is not None and done[0].episodes == 8 and done[0].expected == 8
    assert "live = false" in (run_copy / "report" / "data" / "episodes.js").read_text()
    # The open page reloads by itself, keeps its filter, and stops polling once the run is whole.
    page.wait_for_function("!document.body.innerText.includes('updating while the run goes')", timeout=15000)
    assert page.url.endswith("#outcome=success")
    shown = page.eval_on_selector_all("#episode-list tbody tr", "trs => trs.map(t => t.dataset.id)")
    assert len(shown) > before and set(later) - {e for e in later if "s00002" in e} <= set(shown)
