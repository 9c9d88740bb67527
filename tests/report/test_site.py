"""The report as a person uses it: opened from the file system in headless Chromium, the
episode list filtered and sorted, an episode stepped through with the keyboard."""

from __future__ import annotations

import re

from agentloop.recording import RunDir
from agentloop.report.stats import wilson
from tests.report.conftest import GOAL_MARKUP, MARKED

FIRST = "toy.switches__s00000__r00"
INDEX_SHOT = "/tmp/agentloop_report_index.png"
EPISODE_SHOT = "/tmp/agentloop_report_episode.png"


def rows(page) -> list[str]:
    return page.eval_on_selector_all("#episode-list tbody tr", "trs => trs.map(t => t.dataset.id)")


def column(page, key: str) -> list[str]:
    heads = page.eval_on_selector_all("#episode-list thead th", "ths => ths.map(t => t.dataset.sort || '')")
    i = heads.index(key) + 1
    return page.eval_on_selector_all(f"#episode-list tbody td:nth-child({i})", "tds => tds.map(t => t.textContent)")


def test_index_shows_config_tasks_and_every_episode(report, recorded, page):
    page.goto((report / "index.html").as_uri())
    assert sorted(rows(page)) == sorted(RunDir(recorded).finished_ids()) and len(rows(page)) == 8
    config = page.inner_text("#config")
    assert "tests.report.agents:mischief" in config and "slip_first" in config
    tasks = page.inner_text("#tasks tbody")
    low, high = wilson(6, 8)
    assert "toy.switches" in tasks and "6 (75 %)" in tasks and f"{100 * low:.0f} % – {100 * high:.0f} %" in tasks
    assert page.inner_text("#shown") == "showing 8 of 8"
    thumb = page.locator("#episode-list img.thumb").first
    thumb.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    page.screenshot(path=INDEX_SHOT, full_page=True)


def test_index_filters_and_sorts_and_keeps_the_view_in_its_url(report, page):
    page.goto((report / "index.html").as_uri())
    page.select_option("select[name=outcome]", "error")
    assert len(rows(page)) == 2 and set(column(page, "outcome")) == {"error"}
    page.select_option("select[name=outcome]", "")
    page.check("input[value=validator-failed]")
    assert len(rows(page)) == 6 and "0" not in column(page, "validator_failures")
    page.fill("input[name=q]", "s00003")
    assert rows(page) == ["toy.switches__s00003__r00", "toy.switches__s00003__r01"]
    page.fill("input[name=q]", "")
    page.click("th[data-sort=duration_s]")
    page.click("th[data-sort=duration_s]")  # the second click sorts descending
    assert "sort=duration_s" in page.url and "dir=desc" in page.url
    order = rows(page)
    page.reload()  # the view comes back from the URL
    assert page.is_checked("input[value=validator-failed]") and rows(page) == order
    assert page.locator("th.sorted-desc").inner_text().startswith("duration")


VISIBLE = "() => [...document.querySelectorAll('section.step')].filter(s => !s.hidden).map(s => s.dataset.step)"


def check_rejected_and_failed_step(page) -> None:
    """Step 0 of every successful episode: a rejected candidate, then one that ran and failed."""
    step = page.locator("section.step#s0")
    assert step.locator("h2 .badge").all_inner_texts() == ["validator failed", "critic rejected"]
    cands = step.locator("table.candidates tbody tr")
    assert "switch_off" in cands.nth(0).inner_text() and "rejected" in cands.nth(0).inner_text()
    assert "already off" in cands.nth(0).inner_text() and "suggestion" in cands.nth(0).inner_text()
    assert "accepted" in cands.nth(1).inner_text()
    text = step.inner_text()
    assert "switch_on" in step.locator("code.action").inner_text()
    assert "did not have its expected effect" in text and "scene-graph diff: nothing changed" in text
    assert "step reward" in text and "return" in text and "propose" in text
    for img in step.locator(".frames img").all():
        page.wait_for_function("img => img.complete && img.naturalWidth === 32", arg=img.element_handle())
    # Plan (the wrong call), reflection (the rules find it wrong), and the plan remade after the
    # critic's refusal: its call holds its preconditions, so no second reflection.
    calls = step.locator("details.call")
    assert calls.locator("summary b").all_inner_texts() == ["plan", "reflect", "plan"]
    assert not any(calls.evaluate_all("ds => ds.map(d => d.open)"))
    calls.first.locator("summary").click()
    assert "Stage one" in calls.first.inner_text() and "switch_off" in calls.first.locator("pre.raw").inner_text()


def test_episode_page_steps_through_with_the_keyboard(report, page):
    page.goto((report / "index.html").as_uri() + "#flag=validator-failed")
    page.click(f"a:text-is('{FIRST}')")
    page.wait_for_url(re.compile(re.escape(f"{FIRST}.html?flag=validator-failed#s0") + "$"))
    visible = VISIBLE
    assert page.evaluate(visible) == ["0"]
    check_rejected_and_failed_step(page)
    page.screenshot(path=EPISODE_SHOT, full_page=True)

    page.keyboard.press("ArrowRight")
    assert page.evaluate(visible) == ["1"] and page.url.endswith("#s1")
    assert "switch_on" in page.locator("#s1 code.action").inner_text()
    assert "lamp_" in page.inner_text("#s1 table.diff")  # the lamp that went on, in the diff
    page.keyboard.press("ArrowRight")
    assert "action error" in page.inner_text("#s2 h2") and "parse" in page.inner_text("#s2")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")  # past the last step: stays there
    assert page.evaluate(visible) == ["3"] and "success" in page.inner_text("#s3 h2")
    assert page.locator(".timeline .seg.current").inner_text().startswith("3")
    page.keyboard.press("ArrowLeft")
    assert page.evaluate(visible) == ["2"]
    page.click(".timeline .seg[data-step='0']")
    assert page.evaluate(visible) == ["0"]

    page.keyboard.press("ArrowDown")  # the next episode of the filtered list
    page.wait_for_url(re.compile(r"toy\.switches__s00000__r01\.html\?flag=validator-failed"))
    page.keyboard.press("ArrowUp")
    page.wait_for_url(re.compile(FIRST))
    page.click("#to-index")
    page.wait_for_url(re.compile(r"index\.html#flag=validator-failed&focus="))
    page.wait_for_selector("#episode-list tr.focus")
    assert page.is_checked("input[value=validator-failed]")
    assert page.locator("#episode-list tr.focus").get_attribute("data-id") == FIRST


def test_page_and_model_text_stays_text(report, page):
    page.goto((report / "index.html").as_uri())
    assert page.evaluate("window.pwned") is None
    row = page.locator(f"#episode-list tr[data-id='{MARKED}']")
    assert GOAL_MARKUP in row.inner_text() and row.locator("img:not(.thumb), script").count() == 0

    page.goto((report / "episodes" / f"{MARKED}.html").as_uri())
    assert page.evaluate("window.pwned") is None
    assert GOAL_MARKUP in page.inner_text("p.goal")
    assert "<script>window.pwned=1</script><b>bold</b>" in page.inner_text("#s0 .plan")  # the model's rationale
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert "<script>window.pwned=2</script> not a call" in page.inner_text("#s2 table.candidates")
    assert page.locator("section.step b:text-is('bold'), section.step script").count() == 0
    # The only scripts are the page's own four.
    assert page.locator("script").count() == 4
    assert page.evaluate("window.pwned") is None
