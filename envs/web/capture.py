"""The screenshot: asked of DevTools without waiting, collected after the DOM snapshot, decoded
with OpenCV; and the set-of-marks drawing over it.

Playwright's `page.screenshot` spends more than the capture itself on waiting for fonts and a
stable frame; asking DevTools (`Page.captureScreenshot`) before the snapshot lets the capture
overlap it. The caret is hidden by the context's style sheet (`js/hide_caret.js`) rather than
by the screenshot call, which would restyle the whole page twice per screenshot.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import cv2
import numpy as np

from agentloop.envs.web.browser import collect, start_background
from agentloop.scene import SceneGraph

CAPTURE_TIMEOUT_S = 2.0


def start_capture(page: Any, cdp: Any) -> asyncio.Future[Any] | None:
    """Ask DevTools for the viewport as PNG, without waiting for it (None: no DevTools session,
    or the page is going away; `screenshot` then falls back on Playwright's own)."""
    if cdp is None:
        return None
    try:
        capture = start_background(page, lambda: cdp.send(
            "Page.captureScreenshot", {"format": "png", "optimizeForSpeed": True}))
    except Exception:
        return None
    # A capture is not always collected: when the browser dies mid-step, the snapshot fails
    # first and the step reports that. Left unread, the capture's own error would be printed
    # with its traceback by asyncio when the future is dropped ("exception was never retrieved").
    capture.add_done_callback(_read_error)
    return capture


def _read_error(capture: asyncio.Future[Any]) -> None:
    """Mark a finished capture's error as seen (whoever collects it still gets it raised)."""
    if not capture.cancelled():
        capture.exception()


def screenshot(page: Any, capture: asyncio.Future[Any] | None) -> bytes:
    """The capture's PNG. Bounded, because a capture that lands in a navigation may never be
    answered: then Playwright's own screenshot, which has its own timeout."""
    if capture is not None:
        try:
            return base64.b64decode(collect(page, capture, timeout=CAPTURE_TIMEOUT_S)["data"])
        except Exception:
            pass  # unanswered or refused: take the slower way below
    return page.screenshot(type="png", caret="initial")


def decode(png: bytes, viewport: tuple[int, int]) -> np.ndarray:
    """An RGB frame of the viewport's (width, height), whatever the device scale."""
    # OpenCV decodes a PNG several times faster than Pillow.
    bgr = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError(f"the browser's screenshot is not an image ({len(png)} bytes)")
    arr = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    w, h = viewport
    if arr.shape[:2] != (h, w):  # device scale or a shrunken page: keep the space's shape
        arr = cv2.resize(arr, (w, h), interpolation=cv2.INTER_AREA)
    return arr


def draw_marks(frame: np.ndarray, scene: SceneGraph) -> np.ndarray:
    """The frame with each visible clickable or editable element's box and id drawn on it, in
    the frame's own pixels (the space of `bbox` and of the pixel skills). Clipped elements are
    not drawn: their boxes lie where the screenshot shows something else."""
    from PIL import Image, ImageDraw

    img = Image.fromarray(frame)
    d = ImageDraw.Draw(img)
    for n in scene.nodes:
        if not (n.get("clickable") or n.get("editable")) or not n.get("visible", True):
            continue
        x, y, w, h = n.get("bbox")
        d.rectangle([x, y, x + w, y + h], outline=(255, 0, 0))
        d.rectangle([x, y, x + 6 * len(n.id) + 2, y + 10], fill=(255, 0, 0))
        d.text((x + 1, y - 1), n.id, fill=(255, 255, 255))
    return np.asarray(img)
