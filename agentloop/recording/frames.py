"""Disk work happens on a background thread, off the loop's hot path.

Frames are PNG-encoded there (OpenCV's encoder releases the GIL, so encoding overlaps the next
step; PNG is lossless, as training data must be; level 1 keeps it cheap), step lines are
appended there, and an episode's finalisation (episode.json, atomic rename) is queued behind
its frames, so the loop never waits for the disk. The queue is FIFO: an episode is renamed into
place only after everything it wrote before is on disk.
"""

from __future__ import annotations

import queue
import threading
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

Job = Callable[[], None]


class FrameWriter:
    def __init__(self, compression: int = 1, max_pending: int = 512):
        self._params = [cv2.IMWRITE_PNG_COMPRESSION, compression]
        # Bounded, so a disk slower than the env applies back-pressure instead of eating memory.
        self._queue: queue.Queue[Job | None] = queue.Queue(maxsize=max_pending)
        self._errors: list[str] = []
        self._thread = threading.Thread(target=self._run, name="agentloop-disk", daemon=True)
        self._thread.start()

    def put(self, path: Path, frame: np.ndarray) -> None:
        # Copy: the env may reuse its buffer for the next render.
        data = np.array(frame, dtype=np.uint8, copy=True)
        self._queue.put(lambda: self._write_png(path, data))

    def submit(self, job: Job) -> None:
        """Run `job` on the disk thread after everything queued before it."""
        self._queue.put(job)

    def _write_png(self, path: Path, frame: np.ndarray) -> None:
        write_png(path, frame, self._params[1])

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                job()
            except Exception as e:  # kept, and raised at flush: nothing is lost silently
                self._errors.append(repr(e))
            finally:
                self._queue.task_done()

    def flush(self) -> None:
        """Block until every queued job is done; raise if any failed."""
        self._queue.join()
        if self._errors:
            errors, self._errors = self._errors, []
            raise OSError("recording failed: " + "; ".join(errors[:3]))

    def close(self) -> None:
        self.flush()
        self._queue.put(None)
        self._thread.join(timeout=30)


def write_png(path: Path, frame: np.ndarray, compression: int = 1) -> None:
    bgr = cv2.cvtColor(frame, cv2.COLOR_RGB2BGR) if frame.ndim == 3 else frame
    ok, buf = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, compression])
    if not ok:
        raise RuntimeError(f"PNG encoding failed for {path}")
    path.write_bytes(buf.tobytes())
