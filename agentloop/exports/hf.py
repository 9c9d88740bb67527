"""Writing rows as a Parquet file that Hugging Face `datasets` loads with typed features."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import datasets

from agentloop.errors import ConfigError

Row = Mapping[str, object]  # one dataset row: a value for each feature


def write_parquet(rows: Sequence[Row], features: datasets.Features, out: Path, name: str) -> Path:
    """`out/<name>.parquet`; images are embedded, so the file stands alone."""
    if not rows:
        raise ConfigError(f"nothing to export as {name}: no step in the selected episodes qualifies")
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.parquet"
    ds = datasets.Dataset.from_dict({k: [r[k] for r in rows] for k in features}, features=features)
    ds.to_parquet(str(path))
    return path


def chat_features() -> datasets.List:
    """A list of chat turns, each a role and a list of typed parts (image placeholder or text)."""
    turn = {"role": datasets.Value("string"),
            "content": datasets.List({"type": datasets.Value("string"), "text": datasets.Value("string")})}
    return datasets.List(turn)
