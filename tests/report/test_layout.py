"""The report as it first appears in a 1280 x 800 window of headless Chromium: an episode page
open at its top with its header in view, the index as wide as the window, frames and
thumbnails cut to what the page drew, id labels beside the boxes they name, a plot with axes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.report.conftest import agentloop, checked_page, cli

WINDOW = {"width": 1280, "height": 800}
SHOTS = Path("/tmp/agentloop_report_layout")
WEB = "miniwob.click-button__s00000__r00"
VIEWPORT = (400, 420)  # the MiniWoB envs' window; the task draws in its top-left corner

# What the window shows: the page's width, where its header is, how far it is scrolled.
GEOMETRY = """() => {
  const header = document.querySelector('header').getBoundingClientRect();
  return {scrollY: window.scrollY, scrollWidth: document.documentElement.scrollWidth, width: innerWidth,
          height: innerHeight, header: [header.left, header.top, header.right, header.bottom]};
}"""
# Tables wider than the box they sit in (cut, or scrolled sideways).
CUT_TABLES = "() => [...document.querySelectorAll('table')].filter(t => t.scrollWidth > t.parentElement.clientWidth + 1).length"
# Each mark's label against its box, in the frame's pixels: [label box, mark box].
LABELS = """() => [...document.querySelectorAll('section.step:not([hidden]) svg.marks g')].map(g => {
  const t = g.querySelector('text').getBBox(), r = g.querySelector('rect').getBBox();
  return [[t.x, t.y, t.width, t.height], [r.x, r.y, r.width, r.height]];
})"""


def overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


@pytest.fixture(scope="module")
def web_report(tmp_path_factory) -> Path:
    """The report of a real MiniWoB run (Chromium drew its frames, with the window's margin)."""
    run = tmp_path_factory.mktemp("layout") / "web"
    r = agentloop("run", "agentloop/miniwob.click-button", "-n", "2", "--out", str(run))
    assert r.returncode == 0, r.stderr[-2000:]
    code, _, err = cli("report", str(run))
    assert code == 0, err
    return run / "report"


@pytest.fixture
def window(browser):
    with checked_page(browser, WINDOW) as pg:
        yield pg


def in_view(page, name: str) -> dict:
    """The window's geometry once the page has loaded, with a screenshot to look at."""
    page.wait_for_load_state("load")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    g = page.evaluate(GEOMETRY)
    assert g["scrollY"] == 0, f"{name} opened scrolled down by {g['scrollY']} px"
    assert g["scrollWidth"] <= g["width"], f"{name} is {g['scrollWidth']} px wide in a {g['width']} px window"
    left, top, right, bottom = g["header"]
    assert left >= 0 and top >= 0 and right <= g["width"] and bottom <= g["height"], g
    return g


def test_episode_page_opens_at_its_top_with_the_header_in_view(web_report, window):
    window.goto((web_report / "episodes" / f"{WEB}.html").as_uri())
    in_view(window, "episode")
    assert window.url.endswith("#s0")
    facts = window.locator("header dl.facts dt").all_inner_texts()
    assert "env reward, summed" in facts and "derived return" in facts and "return" not in facts
    plot = window.locator("figure.plot svg")
    titles = plot.locator("text.title").all_text_contents()
    assert titles == ["step", "value"] and plot.locator("text.tick").count() >= 3
    assert "progress (share of the task, 0–1)" in plot.locator("text.key").all_text_contents()
    assert window.locator("figure.plot svg").bounding_box()["y"] < WINDOW["height"]


def test_a_step_named_in_the_url_is_shown_without_scrolling(report, window):
    window.goto((report / "episodes" / "toy.switches__s00000__r00.html").as_uri() + "#s2")
    in_view(window, "episode-step-2")
    assert window.url.endswith("#s2") and window.locator("section.step#s2").is_visible()


def test_index_fits_the_window(web_report, window):
    for width in (1280, 1400):
        window.set_viewport_size({"width": width, "height": WINDOW["height"]})
        window.goto((web_report / "index.html").as_uri())
        in_view(window, f"index-{width}")
        assert window.evaluate(CUT_TABLES) == 0
        flags = window.locator("#episode-list th[data-sort=flags]").bounding_box()
        assert flags["x"] + flags["width"] <= width
        link = window.locator(f"#episode-list a:text-is('{WEB}')")
        assert link.evaluate("a => a.getClientRects().length") == 1  # the id whole, on one line
    window.screenshot(path=str(SHOTS / "index-full.png"), full_page=True)


def drawn(frames: list[Path]) -> tuple[tuple[int, int], tuple[int, int, int]]:
    """The size of what the page drew over the recorded frames (every pixel that is not the colour
    of the window's margin, the bottom-right corner), and that colour."""
    boxes, margin = [], (0, 0, 0)
    for path in frames:
        with Image.open(path) as im:
            px = np.asarray(im.convert("RGB")).astype(int)
        margin = tuple(px[-1, -1])
        ys, xs = np.nonzero(np.abs(px - px[-1, -1]).max(axis=2) > 12)
        boxes.append((xs.min(), ys.min(), xs.max() + 1, ys.max() + 1))
    left, top = min(b[0] for b in boxes), min(b[1] for b in boxes)
    right, bottom = max(b[2] for b in boxes), max(b[3] for b in boxes)
    return (right - left, bottom - top), margin


def margin_share(im: Image.Image, margin: tuple[int, int, int]) -> float:
    """The share of `im`'s pixels of the margin's colour (within a lossy encoding's error)."""
    px = np.asarray(im.convert("RGB")).astype(int)
    return float((np.abs(px - np.array(margin)).max(axis=2) <= 24).mean())


def test_frames_and_thumbnails_leave_the_window_margin_out(web_report, window):
    frames = sorted((web_report.parent / "episodes" / WEB / "frames").glob("*.png"))
    (w, h), margin = drawn(frames)
    with Image.open(frames[0]) as first:
        assert first.size == VIEWPORT and w * h < 0.5 * VIEWPORT[0] * VIEWPORT[1]  # a window with a margin to cut
    aspect = w / h  # the task as drawn (160 x 210); the whole window's is 400 / 420
    with Image.open(web_report / "anim" / f"{WEB}.thumb.webp") as thumb:
        assert abs(thumb.width / thumb.height / aspect - 1) < 0.12, (thumb.size, (w, h))
        assert margin_share(thumb, margin) < 0.2  # the window's margin is most of a whole frame
    with Image.open(web_report / "anim" / f"{WEB}.webp") as anim:
        assert anim.height < 0.8 * min(320, VIEWPORT[1])
        assert abs(anim.width / anim.height / aspect - 1) < 0.12 and margin_share(anim, margin) < 0.2
    window.goto((web_report / "episodes" / f"{WEB}.html").as_uri())
    pic = window.locator("section.step#s0 .frame .pic").first
    box = pic.bounding_box()
    assert abs(box["width"] / box["height"] / aspect - 1) < 0.12, (box, (w, h))  # the drawn part, not the window
    img = window.locator("section.step#s0 .frame img").first
    window.wait_for_function("img => img.complete && img.naturalWidth === 400", arg=img.element_handle())
    labels = window.evaluate(LABELS)
    assert labels, "the web env's scene graph has boxes"
    for label, mark in labels:
        assert not overlap(label, mark), (label, mark)
    pic.screenshot(path=str(SHOTS / "frame.png"))
