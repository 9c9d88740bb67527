"""Run folders: `run.json`, and per episode `steps.jsonl`, frames and `episode.json`."""

from agentloop.recording.disk import DiskWriter
from agentloop.recording.episode import EpisodeWriter, read_episode, read_steps
from agentloop.recording.run import RunDir

__all__ = ["DiskWriter", "EpisodeWriter", "RunDir", "read_episode", "read_steps"]
