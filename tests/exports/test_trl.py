"""The sft, dpo and prm exports of a robot run and of a MiniWoB run, loaded the way a trainer
loads them: `datasets` reads the Parquet file, TRL's trainers (SFT, DPO with images, and the
stepwise-supervision PRM trainer) prepare and collate it for a tiny model built from a config,
and one optimisation step runs on the CPU."""

from __future__ import annotations

import copy
import math

import datasets
import pytest
import trl

from agentloop.exports import export
from agentloop.recording import read_steps
from agentloop.recording.run import RunDir
from tests.exports import tiny_models

IMAGE_TOKENS = (tiny_models.IMAGE_SIZE // tiny_models.PATCH) ** 2


@pytest.fixture(scope="module", params=["robot_run", "miniwob_run"])
def run_dir(request):
    return request.getfixturevalue(request.param)


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    # Everything the trainers need is built here; a download attempt is a failure.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")


def _load(path) -> datasets.Dataset:
    return datasets.load_dataset("parquet", data_files=str(path), split="train")


def _args(config_cls, tmp_path, **extra):
    return config_cls(output_dir=str(tmp_path / "trainer"), max_steps=1, per_device_train_batch_size=2,
                      report_to="none", use_cpu=True, bf16=False, save_strategy="no", logging_steps=1,
                      dataloader_num_workers=0, **extra)


def _steps(run_dir):
    return [s for folder, _ in RunDir(run_dir).episodes() for s in read_steps(folder)]


def _train_one_step(trainer) -> None:
    out = trainer.train()
    assert out.global_step == 1 and math.isfinite(out.training_loss)


def test_sft_trainer_on_export(run_dir, tmp_path):
    ds = _load(export(run_dir, "sft", tmp_path))
    good = {(s.episode_id, s.index) for s in _steps(run_dir) if s.label is True and s.frame}
    assert {(r["episode_id"], r["step"]) for r in ds} == good
    assert {"messages", "images"} <= set(ds.column_names)

    model, processor = tiny_models.vision_language_model()
    trainer = trl.SFTTrainer(model=model, args=_args(trl.SFTConfig, tmp_path, max_length=None),
                             train_dataset=ds, processing_class=processor)
    assert trainer._is_vision_dataset and len(trainer.train_dataset) == len(ds)
    # The trainer's own collator: chat template, image placeholders filled with the frames.
    batch = trainer.data_collator([dict(r) for r in ds])
    assert batch["pixel_values"].shape[0] == len(ds)
    image_id = processor.tokenizer.convert_tokens_to_ids(tiny_models.IMAGE_TOKEN)
    assert ((batch["input_ids"] == image_id).sum(dim=1) == IMAGE_TOKENS).all()
    first = processor.tokenizer.decode(batch["input_ids"][0])
    assert ds[0]["messages"][-1]["content"][0]["text"] in first
    _train_one_step(trainer)


def test_dpo_trainer_on_export(run_dir, tmp_path):
    ds = _load(export(run_dir, "dpo", tmp_path))
    rejected = [c for s in _steps(run_dir) for c in s.candidates
                if not c.executed and c.verdict is not None and not c.verdict.ok]
    assert len(ds) == len(rejected) > 0
    assert {"prompt", "chosen", "rejected", "images"} <= set(ds.column_names)

    model, processor = tiny_models.vision_language_model()
    trainer = trl.DPOTrainer(model=model, ref_model=copy.deepcopy(model),
                             args=_args(trl.DPOConfig, tmp_path, max_length=None),
                             train_dataset=ds, processing_class=processor)
    assert trainer._is_vision_dataset and len(trainer.train_dataset) == len(ds)
    batch = trainer.data_collator([dict(r) for r in ds])
    # One sequence for each side of each pair, and the completion mask covers the action.
    assert batch["input_ids"].shape[0] == 2 * len(ds)
    assert batch["pixel_values"].shape[0] == 2 * len(ds)
    ids, mask = batch["input_ids"][0], batch["completion_mask"][0].bool()
    chosen = ds[0]["chosen"][0]["content"][0]["text"]
    assert processor.tokenizer.decode(ids[mask]).startswith(chosen)
    _train_one_step(trainer)


def test_prm_trainer_on_export(run_dir, tmp_path):
    # TRL's stepwise-supervision trainer: trl.experimental.prm up to TRL 1.13 (removed in 1.14).
    from trl.experimental.prm import PRMConfig, PRMTrainer

    ds = _load(export(run_dir, "prm", tmp_path))
    judged = [c for s in _steps(run_dir) for c in s.candidates if c.call is not None
              and (c.executed or (c.verdict is not None and not c.verdict.ok))]
    assert len(ds) == len(judged) > 0
    assert {"prompt", "completions", "labels"} <= set(ds.column_names)

    model, tok = tiny_models.step_classifier()
    trainer = PRMTrainer(model=model, args=_args(PRMConfig, tmp_path, max_length=None,
                                                 max_completion_length=None),
                         train_dataset=ds, processing_class=tok)
    prepared = trainer.train_dataset
    assert set(prepared.column_names) == {"input_ids", "labels"} and len(prepared) == len(ds)
    for row, tokens in zip(ds, prepared):
        # One supervised token per step, at the step's separator, carrying its label.
        assert [x for x in tokens["labels"] if x != -100] == [int(b) for b in row["labels"]]
    _train_one_step(trainer)
