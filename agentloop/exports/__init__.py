"""Exports that turn a run folder into what trainers load: one module per format."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from agentloop.errors import ConfigError
from agentloop.exports.source import Filters, Run

FORMATS = {
    "parquet": "agentloop.exports.parquet", "minari": "agentloop.exports.minari_export",
    "sft": "agentloop.exports.sft", "dpo": "agentloop.exports.dpo", "prm": "agentloop.exports.prm",
    "groups": "agentloop.exports.groups", "lerobot": "agentloop.exports.lerobot",
}


def export(run_dir: Path | str, fmt: str, out: Path | str, filters: Filters | None = None) -> Path:
    """Export the run at `run_dir` as `fmt` under `out`; returns the file or folder written.
    Each format's module (imported only when asked for) has `export(run, out) -> Path`."""
    if fmt not in FORMATS:
        raise ConfigError(f"unknown export format {fmt!r}; one of {', '.join(FORMATS)}")
    exporter: Callable[[Run, Path], Path] = importlib.import_module(FORMATS[fmt]).export
    return exporter(Run(run_dir, filters), Path(out))


__all__ = ["FORMATS", "Filters", "Run", "export"]
