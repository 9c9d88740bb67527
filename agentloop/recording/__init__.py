"""Run folders: `run.json`, and per episode `steps.jsonl`, frames and `episode.json`."""
