"""Chat messages for TRL's SFT trainer: for each step whose action ran, was valid and passed
the validator, the planner's calls that decided on it, each as its prompt turns and reply.

Where a model planned, a row is a recorded call: its messages as sent, its raw reply. Where a
scripted planner ran, a row is what the model planner would have been sent at that step, with
the scripted decision as the reply in the format the planner parses (see `replay`).

With a teacher (`PromptOptions.teacher`, `--teacher`), every candidate of every step is a row,
whether it worked or not: the prompt the planner was sent in the state the episode had
reached, and the teacher's decision there as the reply (DAgger's relabelling).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from agentloop.exports.hf import Row, chat_features, row_features, stream_parquet
from agentloop.exports.rows import CallRow, good_rows, relabeled_rows, run_moments
from agentloop.exports.source import Run


def provenance(row: CallRow, images: bool) -> Row:
    """The columns every prompt row carries: role, prompt version, source, where it is from."""
    out: dict[str, object] = {
        "role": row.role.value, "prompt_version": row.prompt_version, "origin": row.origin.value,
        "episode_id": row.episode.record.episode_id, "step": row.step.index, "candidate": row.candidate,
    }
    if images:
        out["images"] = row.frames()
    return out


def export(run: Run, out: Path) -> Path:
    images = run.options.images
    return stream_parquet(_rows(run, images), row_features(images, messages=chat_features(images)), out, "sft")


def _rows(run: Run, images: bool) -> Iterator[Row]:
    """The rows episode by episode, as the run is read: the export keeps no more in memory."""
    for ep, moments in run_moments(run):
        for row in relabeled_rows(ep, moments) if run.options.teacher else good_rows(ep, moments):
            yield {"messages": [*row.prompt(images), row.reply(images)], **provenance(row, images)}
