"""Writing rows as a Parquet file that Hugging Face `datasets` loads with typed features."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import islice
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


def stream_parquet(rows: Iterable[Row], features: datasets.Features, out: Path, name: str,
                   batch: int = 512) -> Path:
    """`out/<name>.parquet` written `batch` rows at a time, so memory stays flat in the number
    of rows; the file is the one `write_parquet` writes (same schema and feature metadata)."""
    import pyarrow.parquet as pq

    out.mkdir(parents=True, exist_ok=True)
    path, partial = out / f"{name}.parquet", out / f"{name}.parquet.partial"  # a failed export leaves no file
    writer: pq.ParquetWriter | None = None
    try:
        it = iter(rows)
        while chunk := list(islice(it, batch)):
            table = datasets.Dataset.from_dict({k: [r[k] for r in chunk] for k in features}, features=features).data.table
            writer = writer or pq.ParquetWriter(str(partial), table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        raise ConfigError(f"nothing to export as {name}: no step in the selected episodes qualifies")
    partial.replace(path)
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
