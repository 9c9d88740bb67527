"""Frames are encoded and written on a background thread, off the loop's hot path.

OpenCV's PNG encoder releases the GIL, so encoding overlaps the next step. PNG is lossless
(training data must not carry JPEG artefacts); compression level 1 keeps it cheap.
"""

from __future__ import annotations

import queue
import threading
from pathlib import Path

import cv2
import numpy as np


class FrameWriter:
    def __init__(self, compression: int = 1):
        self._params = [cv2.IMWRITE_PNG_COMPRESSION, compression]
        self._queue: queue.Queue[tuple[Path, np.ndarray] | None] = queue.Queue()
        self._errors: list[str] = []
        self._thread = threading.Thread(target=self._run, name="agentloop-frames", daemon=True)
        self._thread.start()

    def put(self, path: Path, frame: np.ndarray) -> None:
        # Copy: the env may reuse its buffer for the next render.
        self._queue.put((path, np.array(frame, dtype=np.uint8, copy=True)))

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                path, frame = item
                bgr = cv2.cvtColor(frame, cv2.COLOR_RGB2BGR) if frame.ndim == 3 else frame
                ok, buf = cv2.imencode(".png", bgr, self._params)
                if not ok:
                    raise RuntimeError("PNG encoding failed")
                path.write_bytes(buf.tobytes())
            except Exception as e:  # recorded, raised at flush so no frame is silently lost
                self._errors.append(f"{item[0] if item else '?'}: {e!r}")
            finally:
                self._queue.task_done()

    def flush(self) -> None:
        """Block until every queued frame is on disk."""
        self._queue.join()
        if self._errors:
            errors, self._errors = self._errors, []
            raise OSError("frames could not be written: " + "; ".join(errors[:3]))

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)
