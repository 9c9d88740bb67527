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


def chat_features(images: bool = True) -> datasets.List:
    """A list of chat turns: each a role and a list of typed parts (image placeholder or
    text), or for text-only rows a role and its text."""
    content: datasets.Value | datasets.List = datasets.Value("string")
    if images:
        content = datasets.List({"type": datasets.Value("string"), "text": datasets.Value("string")})
    return datasets.List({"role": datasets.Value("string"), "content": content})


def row_features(images: bool, **columns: datasets.features.FeatureType) -> datasets.Features:
    """`columns`, the provenance every prompt row carries, and the frames where prompts show them."""
    out = {**columns, "role": datasets.Value("string"), "prompt_version": datasets.Value("string"),
           "origin": datasets.Value("string"), "episode_id": datasets.Value("string"),
           "step": datasets.Value("int64"), "candidate": datasets.Value("int64")}
    if images:
        out["images"] = datasets.List(datasets.Image())
    return datasets.Features(out)
