"""Frames as PNG files, encoded on a few threads beside the loop.

OpenCV's colour conversion and PNG encoder release the GIL, so a frame handed to the pool
is encoded while the loop goes on with the next step. The shape is LeRobot's
`AsyncImageWriter`: a queue of (frame, path) served by worker threads, and a wait for all of
them before the episode is closed; unlike it, a frame that cannot be written is an error the
episode's writer raises, never a line in a log.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType

import cv2
import numpy as np

from agentloop.errors import RecordingError

# zlib level 1 and one fixed row filter ("up") instead of libpng's default search over every
# filter on every row: on screenshots and MuJoCo renders that encodes about three times faster
# for files 3 % larger. Lossless either way, as training data must be.
_PNG = [cv2.IMWRITE_PNG_COMPRESSION, 1]
if hasattr(cv2, "IMWRITE_PNG_FILTER"):
    _PNG += [cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_UP]

# OpenCV stores channels as BGR(A); frames arrive as RGB(A) or grey.
_TO_BGR = {3: cv2.COLOR_RGB2BGR, 4: cv2.COLOR_RGBA2BGRA}


def encode_png(pixels: np.ndarray) -> bytes:
    """The PNG of a uint8 frame: grey (H, W) or (H, W, 1), RGB (H, W, 3) or RGBA (H, W, 4)."""
    channels = 1 if pixels.ndim == 2 else pixels.shape[2] if pixels.ndim == 3 else 0
    if channels not in (1, 3, 4):
        raise RecordingError(f"a frame of shape {pixels.shape} is not an image (grey, RGB or RGBA)")
    image = cv2.cvtColor(pixels, _TO_BGR[channels]) if channels in _TO_BGR else pixels
    try:
        ok, buf = cv2.imencode(".png", image, _PNG)
    except cv2.error as e:
        raise RecordingError(f"PNG encoding failed for a frame of shape {pixels.shape}") from e
    if not ok:
        raise RecordingError(f"PNG encoding failed for a frame of shape {pixels.shape}")
    return buf.tobytes()


def write_png(path: str | os.PathLike[str], pixels: np.ndarray) -> None:
    """Encode `pixels` and write them to `path`."""
    data = encode_png(pixels)
    with open(path, "wb") as f:
        f.write(data)


class FramePool:
    """A few threads that encode and write frames, shared by every episode of a process.

    Whoever makes the pool closes it (`close`, or a `with` block); closing waits for the
    frames already handed over.
    """

    def __init__(self, threads: int = 2) -> None:
        self._pool = ThreadPoolExecutor(max(1, threads), thread_name_prefix="agentloop-frames")

    def write(self, path: str | os.PathLike[str], pixels: np.ndarray) -> Future[None]:
        """Write `pixels` (which nobody may change any more) to `path` on a pool thread."""
        return self._pool.submit(write_png, path, pixels)

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def __enter__(self) -> FramePool:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None,
    ) -> None:
        self.close()
