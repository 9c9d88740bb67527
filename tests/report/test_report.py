from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agentloop.recording.run import RunDir

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def run20(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("rep") / "run"
    subprocess.run([sys.executable, "-m", "agentloop", "run", "agentloop/toy.switches", "-n", "10",
                    "--group-size", "2", "--env-arg", "slip=0.3", "--out", str(out)],
                   check=True, capture_output=True, timeout=240)
    return out


def test_report_opens_in_chromium_and_shows_every_episode(run20, tmp_path):
    from playwright.sync_api import sync_playwright

    # A model or page could say anything: plant markup in a step and expect it shown as text.
    ep = next((run20 / "episodes").glob("*__r00"))
    lines = (ep / "steps.jsonl").read_text().splitlines()
    import json
    first = json.loads(lines[0])
    first["human_feedback"] = "<script>window.pwned=1</script><b>bold</b>"
    (ep / "steps.jsonl").write_text("\n".join([json.dumps(first)] + lines[1:]) + "\n")

    out = tmp_path / "report.html"
    r = subprocess.run([sys.executable, "-m", "agentloop", "report", str(run20), "--out", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    ids = sorted(RunDir(run20).finished_ids())
    assert len(ids) == 20
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(out.as_uri())
        shown = page.eval_on_selector_all("section.episode", "els => els.map(e => e.dataset.episode)")
        assert sorted(shown) == ids
        assert "toy.switches" in page.inner_text("#tasks")
        assert page.locator("section.episode svg.plot").count() == 20
        imgs = page.eval_on_selector_all("section.episode img", "els => els.map(e => e.naturalWidth)")
        assert imgs and all(w > 0 for w in imgs)  # frames resolve relative to the report
        assert page.evaluate("window.pwned") is None
        assert "<script>window.pwned=1</script>" in page.inner_text(f"section[data-episode=\"{ep.name}\"]")
        text = page.inner_text("body")
        assert "validator:" in text and "critic:" in text and "return" in text
        # Enums are shown by value: outcomes and verdict sources read as words.
        assert "Outcome." not in text and "VerdictSource." not in text
        assert page.locator("section.episode h3 span").all_inner_texts()[0] in ("success", "failure", "truncated")
        assert "[rule]" in text and "critic precision" in page.inner_text("#tasks")
        page.screenshot(path="/tmp/agentloop_report.png", full_page=False)
        browser.close()
    assert Path("/tmp/agentloop_report.png").stat().st_size > 0
