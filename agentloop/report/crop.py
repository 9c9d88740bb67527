"""The part of an episode's frames that holds something: a web page drawn in a larger viewport
leaves a flat margin around it (MiniWoB's 160 px task in a 400 px window), which the report's
frames and animations leave out. A frame without such a margin (a rendered scene) is shown whole."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageChops

TOLERANCE = 12  # a channel this close to the margin's colour is margin (lossy frames, antialiasing)
PAD = 10  # pixels kept around the content: room for the marks' labels above a box
KEEP = 0.85  # a content box this large a share of the frame is not worth cropping to


@dataclass(frozen=True)
class Box:
    """A rectangle in a frame's pixels: left, top, width, height."""

    x: int
    y: int
    w: int
    h: int

    def scaled(self, factor: float) -> Box:
        return Box(round(self.x * factor), round(self.y * factor), round(self.w * factor), round(self.h * factor))

    def pil(self) -> tuple[int, int, int, int]:
        """As PIL's (left, upper, right, lower)."""
        return self.x, self.y, self.x + self.w, self.y + self.h


def _content(im: Image.Image) -> tuple[int, int, int, int] | None:
    """The bounding box of what differs from the colour of the frame's bottom-right corner."""
    rgb = im.convert("RGB")
    margin = Image.new("RGB", rgb.size, rgb.getpixel((rgb.width - 1, rgb.height - 1)))
    diff = ImageChops.difference(rgb, margin).convert("L").point(lambda v: 255 if v > TOLERANCE else 0)
    return diff.getbbox()


def content_box(frames: Sequence[Image.Image]) -> Box | None:
    """The box, padded, that holds the content of every frame (all of one size); None when it
    would keep nearly all of the frame, or the frames differ in size."""
    if not frames or any(f.size != frames[0].size for f in frames):
        return None
    boxes = [b for b in map(_content, frames) if b is not None]
    if not boxes:
        return None
    width, height = frames[0].size
    left, top = max(0, min(b[0] for b in boxes) - PAD), max(0, min(b[1] for b in boxes) - PAD)
    right, bottom = min(width, max(b[2] for b in boxes) + PAD), min(height, max(b[3] for b in boxes) + PAD)
    if (right - left) * (bottom - top) >= KEEP * width * height:
        return None
    return Box(left, top, right - left, bottom - top)
