"""TRL's GRPOTrainer trains through `environment_factory` on CPU: a tiny model built here
calls the env's tools through TRL's own tool loop, every call goes through the critic, the
skill and the validator, the rollouts are recorded as an agentloop run, and the tool schemas
TRL derives are the skills'."""

from __future__ import annotations

import os

import pytest
from datasets import Dataset
from transformers.utils import get_json_schema
from trl import GRPOConfig, GRPOTrainer

from agentloop import registry
from agentloop.calls import SkillCall
from agentloop.integrations import Session, tiny
from agentloop.integrations.answers import describe
from agentloop.integrations.trl import environment_factory
from agentloop.plugins import load_object
from agentloop.recording import RunDir, read_steps
from agentloop.records import RunConfig

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
SEED = 3
PROMPT = "Solve the task with the tools."


def _moves(env_id: str) -> tuple[str, list[SkillCall], list[str]]:
    """The env's start text at SEED, two first calls (the scripted planner's, and the same
    skill on something that is not there, which the critic rejects) and their answers."""
    session = Session(RunConfig(env_id=env_id))
    try:
        turn = session.reset(SEED)
        planner = load_object(registry.scripted_planner(session.env()))()
        planner.reset(turn.context)
        right = session.skillset().bind(planner.propose(turn.context).action).call
        arg = next(iter(right.args))
        wrong = right.model_copy(update={"args": {**right.args, arg: "nothing_here"}})
        answers = [describe(session.act(call)) for call in (wrong, right)]
        return turn.context.text, [right, wrong], answers
    finally:
        session.close()


def _taught(env_cls, env_id: str):
    """Tokenizer and model that answer the start prompt with one of the two first calls."""
    text, calls, answers = _moves(env_id)
    tools = tiny.tools_of(env_cls())
    messages = [{"role": "user", "content": PROMPT + text}]
    rendered = tiny.tokenizer([PROMPT]).apply_chat_template(messages, tools=tools, add_generation_prompt=True,
                                                             tokenize=False)
    replies = [tiny.tool_call_text(c.name, c.args) for c in calls]
    tok = tiny.tokenizer([rendered, *replies, *answers] * 4)
    rendered = tok.apply_chat_template(messages, tools=tools, add_generation_prompt=True, tokenize=False)
    model = tiny.causal_lm(tok)
    assert tiny.teach(model, tok, rendered, replies) < 0.2
    return tok, model, calls


def validated_share(environments, **kwargs) -> list[float]:
    """A reward function reading the rollouts' verdicts: the share of calls that ran and passed."""
    return [sum(bool(s.label) for s in e.steps) / max(1, len(e.steps)) for e in environments]


@pytest.mark.parametrize("env_id", ["agentloop/toy.switches", "agentloop/robot.pick-place"])
def test_grpo_trains_through_the_factory(env_id, tmp_path):
    run_dir = tmp_path / "run"
    env_cls = environment_factory(env_id, frames=False, record=run_dir, reward="progress")
    tok, model, (right, _) = _taught(env_cls, env_id)
    dataset = Dataset.from_dict({"prompt": [[{"role": "user", "content": PROMPT}]] * 12, "seed": [SEED] * 12})
    args = GRPOConfig(
        output_dir=str(tmp_path / "out"), per_device_train_batch_size=4, num_generations=4, max_steps=3,
        max_completion_length=1024, max_tool_calling_iterations=2, learning_rate=1e-3,
        beta=0.0, logging_steps=1, report_to="none", save_strategy="no", use_cpu=True, seed=0,
    )
    trainer = GRPOTrainer(model=model, processing_class=tok, args=args, train_dataset=dataset,
                          reward_funcs=[validated_share], environment_factory=env_cls)
    trainer.train()
    assert trainer.state.global_step == 3
    logs = [entry for entry in trainer.state.log_history if "grad_norm" in entry]
    assert any(float(entry["grad_norm"]) > 0 for entry in logs)  # the rollouts differed, and taught something
    assert all(float(entry["tools/call_frequency"]) > 0 for entry in logs)

    # the schemas TRL derived are the skills': names, descriptions, argument types and enums
    skills = {s.name: s for s in env_cls.skills.specs()}
    derived = {get_json_schema(t)["function"]["name"]: get_json_schema(t)["function"] for t in trainer.tools}
    assert set(derived) == set(skills)
    for name, spec in skills.items():
        assert derived[name]["description"] == spec.description
        props, want = derived[name]["parameters"]["properties"], spec.parameters.get("properties", {})
        assert set(props) == set(want)
        assert set(derived[name]["parameters"].get("required", [])) == set(spec.parameters.get("required", []))
        for arg, schema in want.items():
            assert props[arg]["description"].startswith(schema.get("description", arg.replace("_", " ")))
            assert props[arg].get("enum") == schema.get("enum")

    # every rollout was recorded; the taught call ran through critic, skill and validator
    run = RunDir(run_dir)
    assert run.manifest().config.planner == "trl"
    episodes = list(run.episodes())
    assert len(episodes) >= 12  # three steps, four rollouts each
    assert {rec.seed for _, rec in episodes} == {SEED}
    steps = [s for folder, _ in episodes for s in read_steps(folder)]
    ran = [s for s in steps if s.action == right]
    assert ran and all(s.critic is not None and s.critic.ok for s in ran)
    assert all(s.validator is not None and s.validator.judged for s in ran)
    refused = [s for s in steps if s.action is None and s.critic is not None]  # the critic said no: nothing ran
    assert refused and all(not s.critic.ok and s.critic.reason and s.candidates[0].call for s in refused)
    assert len({s.state_key for folder, _ in episodes for s in read_steps(folder)[:1]}) == 1  # identical starts
