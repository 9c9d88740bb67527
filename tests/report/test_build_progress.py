"""A report build says how far it is, page by page, here and on worker processes."""

from __future__ import annotations

import pytest

from agentloop.report import build_site
from tests.report.test_parts import _web_like_run


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_build_reports_each_page_built(tmp_path, monkeypatch, jobs):
    monkeypatch.setattr("agentloop.report.site.POOL_FROM", 2)  # the pool path on a small run
    run = _web_like_run(tmp_path / "run", episodes=5)
    heard: list[tuple[int, int]] = []
    result = build_site(run, jobs=jobs, progress=lambda done, total: heard.append((done, total)))
    assert result.built == 5 and heard[-1] == (5, 5)
    assert [d for d, _ in heard] == sorted(d for d, _ in heard) and {t for _, t in heard} == {5}
    heard.clear()
    assert build_site(run, jobs=jobs, progress=lambda done, total: heard.append((done, total))).built == 0
    assert heard == []  # nothing new: nothing to report
