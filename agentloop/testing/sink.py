"""An episode sink that keeps an episode in memory: what a test (or a notebook) runs an episode
into when it wants the step records, not a run folder."""

from __future__ import annotations

from typing import Any

from agentloop.records import StepRecord


class MemorySink:
    """Keeps every step record in `steps`; a frame is named as a run folder would name it
    (`frames/0000.png`), so records refer to frames the same way, but is not written."""

    def __init__(self) -> None:
        self.steps: list[StepRecord] = []

    def frame(self, index: int, frame: Any) -> str | None:
        return f"frames/{index:04d}.png" if frame is not None else None

    def step(self, record: StepRecord) -> None:
        self.steps.append(record)
