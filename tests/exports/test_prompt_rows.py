"""The rows of the prompt-based exports (sft, dpo, prm, stepwise) of scripted runs: each is
what the model planner would have been sent at that step, rendered by the runtime's own
prompt code, with the scripted decision as the reply in the format the planner parses."""

from __future__ import annotations

import json

import datasets
import pytest

from agentloop import registry
from agentloop.context import Context
from agentloop.exports import PromptOptions, export
from agentloop.prompt_spec import PlannerMode, prompt_version
from agentloop.prompts.messages import prm_prompt
from agentloop.prompts.replies import call_text, decision_of
from agentloop.recording import read_steps
from agentloop.recording.run import RunDir
from agentloop.records import CallRole


def _load(path):
    return datasets.load_dataset("parquet", data_files=str(path), split="train")


def _steps(run_dir):
    return {(s.episode_id, s.index): s for f, _ in RunDir(run_dir).episodes() for s in read_steps(f)}


@pytest.fixture(scope="module", params=["toy_run", "robot_run", "miniwob_run"])
def run_dir(request):
    return request.getfixturevalue(request.param)


def test_sft_rows_are_the_planners_calls_deciding_what_ran(run_dir, tmp_path):
    ds, steps = _load(export(run_dir, "sft", tmp_path)), _steps(run_dir)
    assert {(r["episode_id"], r["step"]) for r in ds} == {k for k, s in steps.items() if s.label is True}
    assert set(ds["role"]) <= {r.value for r in (CallRole.PLAN, CallRole.REFLECT, CallRole.ACTION)}
    assert set(ds["origin"]) == {"rendered"} and set(ds["prompt_version"]) == {prompt_version()}
    for r in ds:
        system, user, reply = r["messages"]
        assert (system["role"], user["role"], reply["role"]) == ("system", "user", "assistant")
        # As the planner sends it: the text, then the frame.
        assert [p["type"] for p in user["content"]] == ["text", "image"] and len(r["images"]) == 1
        decided = decision_of(CallRole(r["role"]), reply["content"][0]["text"])
        step = steps[(r["episode_id"], r["step"])]
        assert (decided is None and r["role"] == "reflect") or call_text(decided) == step.action_text


def test_single_call_text_only_rows(toy_run, tmp_path):
    options = PromptOptions(mode=PlannerMode.SINGLE, images=False)
    ds, steps = _load(export(toy_run, "sft", tmp_path, options=options)), _steps(toy_run)
    assert set(ds["role"]) == {"action"} and "images" not in ds.column_names
    assert len(ds) == sum(s.label is True for s in steps.values())
    for r in ds:
        assert all(isinstance(t["content"], str) for t in r["messages"])
        assert "current frame" not in r["messages"][0]["content"] and "CURRENT PLAN" not in r["messages"][1]["content"]
        assert json.loads(r["messages"][-1]["content"]) == {
            "skill": steps[(r["episode_id"], r["step"])].action.name, "args": steps[(r["episode_id"], r["step"])].action.args}


def test_prm_rows_are_what_the_learned_critic_reads(toy_run, tmp_path):
    ds, steps = _load(export(toy_run, "prm", tmp_path)), _steps(toy_run)
    assert any(not all(r["labels"]) for r in ds), "slipping switches should give failed steps"
    for r in ds:
        step = steps[(r["episode_id"], r["step"])]
        assert r["labels"] == [bool(step.label)] and len(r["completions"]) == 1
        assert json.loads(r["completions"][0])["skill"] == step.candidates[r["candidate"]].call.name
    # The first step's prompt is the one the critic renders on the env's own first perception.
    first = next(r for r in ds if r["step"] == 0 and r["episode_id"].endswith("s00003__r00"))
    env = registry.make("agentloop/toy.switches")
    obs, info = env.reset(seed=3)
    limit = next(rec.max_steps for _, rec in RunDir(toy_run).episodes() if rec.episode_id == first["episode_id"])
    ctx = Context.of("agentloop/toy.switches", obs, info, env.unwrapped.skillset, max_steps=limit)
    assert first["prompt"] == prm_prompt(ctx, [])


def test_dpo_pairs_share_the_prompt_of_the_rejected_call(hasty_run, tmp_path):
    ds, steps = _load(export(hasty_run, "dpo", tmp_path)), _steps(hasty_run)
    rejected = [(k, c.text) for k, s in steps.items() for c in s.candidates
                if not c.executed and c.verdict and not c.verdict.ok]
    assert rejected and len(ds) == len(rejected)
    for r in ds:
        assert r["source"] == "critic_rejected" and r["origin"] == "rendered"
        role = CallRole(r["role"])
        assert call_text(decision_of(role, r["rejected"][0]["content"][0]["text"])).startswith("switch_off")
        assert call_text(decision_of(role, r["chosen"][0]["content"][0]["text"])).startswith("switch_on")
        assert [p["type"] for p in r["prompt"][1]["content"]] == ["text", "image"] and len(r["images"]) == 1


def test_stepwise_one_row_per_call_with_signals(toy_run, tmp_path):
    ds = _load(export(toy_run, "stepwise", tmp_path))
    for col in ("role", "messages", "completion", "prompt_token_ids", "completion_token_ids", "completion_logprobs",
                "sampling", "label", "env_reward", "validator_ok", "critic_ok", "step_advantage",
                "episode_advantage", "episode_outcome", "prompt_version"):
        assert col in ds.column_names
    # A scripted run: no model ran, so no tokens, but every call the model planner would make.
    assert all(ids is None for ids in ds["prompt_token_ids"])
    # (no reflection: the rules find nothing wrong with a scripted call, so stage two is not asked;
    # a plan of one call is spent once it ran, so the next step plans afresh)
    assert "plan" in set(ds["role"]) <= {"plan", "action"}
    assert len(set(zip(ds["episode_id"], ds["step"]))) == len(_steps(toy_run))
