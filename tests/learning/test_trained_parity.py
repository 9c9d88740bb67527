"""Record → export → train → run, test-sized: a tiny model with a tokenizer trained on the
export, fine-tuned with TRL's SFT trainer, run as `--model hf:PATH` runs it. The prompt it is
run with is the prompt it was trained on, byte for byte and token for token."""

from __future__ import annotations

import datasets
import pytest

from agentloop import registry
from agentloop.exports import PromptOptions, export
from agentloop.exports.rows import turn
from agentloop.loop import EpisodeSpec, LoopLimits, run_episode
from agentloop.models import from_spec, tiny
from agentloop.prompt_spec import PlannerMode, prompt_version
from agentloop.recording.run import RunDir
from agentloop.records import CallRole, RunConfig
from agentloop.roles.factory import build_roles
from agentloop.testing import MemorySink
from tests.learning.conftest import TOY

torch = pytest.importorskip("torch")
pytest.importorskip("trl")


def test_a_trained_model_runs_with_the_prompt_it_was_trained_on(scripted_toy, tmp_path):
    torch.set_num_threads(1)
    rows = datasets.load_dataset("parquet", split="train", data_files=str(
        export(scripted_toy, "sft", tmp_path / "sft", options=PromptOptions(mode=PlannerMode.SINGLE, images=False))))
    tok = tiny.train_tokenizer(tiny.row_texts(rows), vocab_size=500)
    path = tiny.train_sft(tiny.causal_lm(tok, hidden=32, layers=1), tok, rows, tmp_path / "model", steps=4,
                          mode=PlannerMode.SINGLE)

    # As `agentloop run --model hf:PATH` builds it: the model says which prompts it learned.
    model = from_spec(f"hf:{path}")
    assert model.trained_for.prompt_version == prompt_version()
    roles = build_roles(RunConfig(env_id=TOY, model=f"hf:{path}"), registry.make(TOY), model)
    assert roles.planner.mode is PlannerMode.SINGLE

    row = next(r for r in rows if r["step"] == 0)
    seed = int(row["episode_id"].split("__s")[1].split("__")[0])
    sink = MemorySink()
    # Under the step limit the row was recorded with: the prompt states it.
    limit = next(rec.max_steps for _, rec in RunDir(scripted_toy).episodes() if rec.episode_id == row["episode_id"])
    run_episode(registry.make(TOY), EpisodeSpec(TOY, seed=seed), roles, LoopLimits(max_steps=limit or 1), sink)
    (call,) = [c for c in sink.steps[0].model_calls if c.attempt == 0]
    assert call.role is CallRole.ACTION and call.prompt_version == row["prompt_version"]

    trained_on = row["messages"][:-1]
    assert [turn(m, images=False) for m in call.prompt] == trained_on  # byte for byte
    prompt_ids = tok.apply_chat_template(trained_on, add_generation_prompt=True, tokenize=True,
                                         return_dict=True)["input_ids"]
    assert call.prompt_token_ids == prompt_ids  # token for token
    # The SFT trainer's sequence for the row starts with those very ids, then the reply.
    trained_ids = tok.apply_chat_template(row["messages"], tokenize=True, return_dict=True)["input_ids"]
    assert trained_ids[:len(prompt_ids)] == prompt_ids
    assert tok.decode(trained_ids[len(prompt_ids):], skip_special_tokens=True) == row["messages"][-1]["content"]
    # And what it said comes back from its token ids.
    assert tok.decode(call.completion_token_ids, skip_special_tokens=True) == call.raw
    assert len(call.token_logprobs) == len(call.completion_token_ids)


def test_an_id_is_one_and_the_same_token_in_goal_scene_and_reply(scripted_toy, tmp_path):
    # A small model learns to copy an id only if the id it reads is the token it must write.
    rows = datasets.load_dataset("parquet", split="train", data_files=str(
        export(scripted_toy, "sft", tmp_path / "sft", options=PromptOptions(mode=PlannerMode.SINGLE, images=False))))
    tok = tiny.train_tokenizer(tiny.row_texts(rows), vocab_size=500)
    row = rows[0]
    prompt, reply = row["messages"][1]["content"], row["messages"][-1]["content"]
    lamp = reply.split('"lamp": "')[1].split('"')[0]
    ids = tok(f"GOAL: switch on {lamp}\n[{lamp}] lamp\n{reply}")["input_ids"]
    (token,) = tok(lamp)["input_ids"]  # whole
    assert ids.count(token) == 3 and lamp in prompt
