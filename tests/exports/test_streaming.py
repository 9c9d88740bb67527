"""The sft export streams: it reads, renders and writes a run episode by episode, so its memory
does not grow with the run; and the file it writes in batches is the one a single write gives."""

from __future__ import annotations

import datasets

from agentloop.exports import PromptOptions, export
from agentloop.exports.hf import chat_features, row_features, stream_parquet, write_parquet
from agentloop.prompt_spec import PlannerMode


def test_sft_reads_each_episode_only_after_rendering_the_one_before(toy_run, tmp_path):
    heard: list[str] = []
    export(toy_run, "sft", tmp_path / "sft", options=PromptOptions(mode=PlannerMode.SINGLE, images=False),
           progress=lambda what, done, total: heard.append(what))
    episodes = len(list((toy_run / "episodes").glob("*/episode.json")))
    # All read first, then all rendered, would be "reading" n times, then "rendering" n times.
    assert heard == ["reading episodes", "rendering prompts"] * episodes


def test_rows_written_in_batches_load_as_one_dataset_written_at_once(toy_run, tmp_path):
    path = export(toy_run, "sft", tmp_path / "whole", options=PromptOptions(mode=PlannerMode.SINGLE, images=False))
    rows = datasets.load_dataset("parquet", data_files=str(path), split="train").to_list()
    assert len(rows) > 3
    features = row_features(False, messages=chat_features(False))
    at_once = write_parquet(rows, features, tmp_path / "at-once", "sft")
    batched = stream_parquet(iter(rows), features, tmp_path / "batched", "sft", batch=3)
    a = datasets.load_dataset("parquet", data_files=str(at_once), split="train")
    b = datasets.load_dataset("parquet", data_files=str(batched), split="train")
    assert b.features == a.features == features
    assert b.to_list() == a.to_list() == rows
    assert not list((tmp_path / "batched").glob("*.partial"))
