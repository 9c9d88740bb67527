"""Run folders: `run.json`, and per episode `steps.jsonl`, frames and `episode.json`.

`EpisodeWriter` records one episode and lands it whole; `FramePool` encodes its frames
beside the loop; `RunDir` reads a run folder back.
"""

from agentloop.recording.episode import PARTIAL, EpisodeWriter, read_episode, read_steps
from agentloop.recording.frames import FramePool
from agentloop.recording.run import RunDir, default_run_dir
from agentloop.recording.sink import EpisodeSink, NullSink

__all__ = [
    "PARTIAL", "EpisodeSink", "EpisodeWriter", "FramePool", "NullSink", "RunDir",
    "default_run_dir", "read_episode", "read_steps",
]
