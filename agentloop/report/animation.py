"""A short animated WebP of an episode's frames: one for its page, a smaller one for the
index's thumbnail. Lossy and downscaled: it is for looking, the PNG frames stay the record."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from agentloop.records import StepRecord
from agentloop.report.crop import Box, content_box


@dataclass(frozen=True)
class AnimationSize:
    """How large an animation may be."""

    side: int  # longest side in pixels; larger frames are scaled down, smaller ones kept
    max_frames: int  # longer episodes are sampled evenly (first and last frame kept)
    quality: int  # WebP quality, 0..100


PAGE = AnimationSize(side=320, max_frames=60, quality=70)
THUMB = AnimationSize(side=96, max_frames=30, quality=50)
CROP_SAMPLE = 12  # frames looked at to find where the content is (first and last among them)
FRAME_MS = 500
LAST_FRAME_MS = 1500  # the end state stays up long enough to be seen


def frame_files(steps: Sequence[StepRecord]) -> list[str]:
    """The episode's frames in order, relative to its folder: before each step, then after the last."""
    refs = [s.frame for s in steps]
    if steps:
        refs.append(steps[-1].frame_after)
    return list(dict.fromkeys(r for r in refs if r))


def _sample(refs: list[str], most: int) -> list[str]:
    if len(refs) <= most:
        return refs
    picks = {round(i * (len(refs) - 1) / (most - 1)) for i in range(most)}
    return [refs[i] for i in sorted(picks)]


def _load(path: Path, side: int) -> Image.Image:
    with Image.open(path) as f:
        im = f.convert("RGB")
    if max(im.size) > side:
        im.thumbnail((side, side), Image.Resampling.BILINEAR)
    return im


@dataclass(frozen=True)
class Animated:
    """What `write_animations` made: whether it wrote anything, and the part of the frames it
    kept (in the frame files' pixels; None: the whole frame), which the page's frames show too."""

    written: bool
    crop: Box | None = None


def _save(images: list[Image.Image], out: Path, size: AnimationSize, crop: Box | None) -> None:
    """One animation, written aside and renamed so that a page never shows half of it."""
    images = [im.crop(crop.pil()) if crop else im.copy() for im in images]
    for im in images:
        if max(im.size) > size.side:
            im.thumbnail((size.side, size.side), Image.Resampling.BILINEAR)
    first = images[0]
    images = [im if im.size == first.size else im.resize(first.size) for im in images]
    durations = [FRAME_MS] * (len(images) - 1) + [LAST_FRAME_MS]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    # The fastest method, and no keyframes after the first (each frame stores only what changed):
    # about four times faster than the defaults, and no larger, on MuJoCo renders and screenshots.
    first.save(tmp, format="WEBP", save_all=True, append_images=images[1:], duration=durations, loop=0,
               quality=size.quality, method=0, kmin=0, kmax=0)
    os.replace(tmp, out)


def write_animations(folder: Path, refs: list[str], outputs: Sequence[tuple[Path, AnimationSize]]) -> Animated:
    """Write an animation of the frames `refs` (files under `folder`) to each output, at its
    size, cropped to where the frames hold something; each frame is decoded once."""
    refs = [r for r in refs if (folder / r).exists()]
    if not refs:
        return Animated(False)
    side = max(size.side for _, size in outputs)
    picks = {out: _sample(refs, size.max_frames) for out, size in outputs}
    loaded = {r: _load(folder / r, side) for r in dict.fromkeys(r for p in picks.values() for r in p)}
    with Image.open(folder / refs[0]) as first:  # the header: the frame files' own size
        factor = first.width / loaded[refs[0]].width
    shown = content_box([loaded[r] for r in _sample(list(loaded), CROP_SAMPLE)])
    for out, size in outputs:
        _save([loaded[r] for r in picks[out]], out, size, shown)
    return Animated(True, shown.scaled(factor) if shown else None)
