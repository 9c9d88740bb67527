"""Exports that turn a run folder into what trainers load: one module per format.

The formats made of the model planner's prompts (`PROMPT_FORMATS`) write, beside their rows,
`agentloop_prompts.json`: the prompt version, planner mode and whether frames were shown.
Copy it into the folder of the model trained on them, and `--model hf:PATH` runs that model
with the prompts it learned.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from agentloop.errors import ConfigError
from agentloop.exports.source import Filters, Progress, PromptOptions, Run
from agentloop.prompt_spec import TrainedFor

FORMATS = {
    "parquet": "agentloop.exports.parquet", "minari": "agentloop.exports.minari_export",
    "sft": "agentloop.exports.sft", "dpo": "agentloop.exports.dpo", "prm": "agentloop.exports.prm",
    "stepwise": "agentloop.exports.stepwise", "groups": "agentloop.exports.groups",
    "lerobot": "agentloop.exports.lerobot",
}
PROMPT_FORMATS = frozenset({"sft", "dpo", "prm", "stepwise"})


def export(run_dir: Path | str, fmt: str, out: Path | str, filters: Filters | None = None,
           options: PromptOptions | None = None, progress: Progress | None = None) -> Path:
    """Export the run at `run_dir` as `fmt` under `out`; returns the file or folder written.
    `options` shape the prompts of the sft, dpo, stepwise and groups rows where a scripted
    planner ran; `progress(what, done, total)` hears of each episode read and rendered.
    Each format's module (imported only when asked for) has `export(run, out)`."""
    if fmt not in FORMATS:
        raise ConfigError(f"unknown export format {fmt!r}; one of {', '.join(FORMATS)}")
    if options is not None and options.teacher and fmt != "sft":
        raise ConfigError(f"a teacher relabels sft rows; {fmt} rows keep the decisions that were taken")
    exporter: Callable[[Run, Path], Path] = importlib.import_module(FORMATS[fmt]).export
    run = Run(run_dir, filters, options, progress)
    written = exporter(run, Path(out))
    if fmt in PROMPT_FORMATS:
        TrainedFor.current(run.options.mode, run.options.images).write(written if written.is_dir() else written.parent)
    return written


__all__ = ["FORMATS", "PROMPT_FORMATS", "Filters", "Progress", "PromptOptions", "Run", "export"]
