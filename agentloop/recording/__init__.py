"""Run folders: `run.json`, and per episode `steps.jsonl`, frames and `episode.json`."""

from agentloop.recording.episode import EpisodeWriter
from agentloop.recording.frames import FrameWriter
from agentloop.recording.run import RunDir

__all__ = ["EpisodeWriter", "FrameWriter", "RunDir"]
