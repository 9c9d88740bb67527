"""Where the loop puts what it records: the protocol, and the sink that keeps nothing."""

from __future__ import annotations

from typing import Any, Protocol

from agentloop.records import StepRecord


class EpisodeSink(Protocol):
    """Receives one episode's frames and step records as they happen."""

    def frame(self, index: int, frame: Any) -> str | None:
        """Keep the frame seen before step `index`; return its path in the record, if kept."""

    def step(self, record: StepRecord) -> None:
        """Keep one finished step."""


class NullSink:
    """Keeps nothing: recording off."""

    def frame(self, index: int, frame: Any) -> str | None:
        return None

    def step(self, record: StepRecord) -> None:
        return None
