"""One prompt system: a model that makes the scripted planner's decisions, run on the same
seeds, sends exactly the prompts the exports rendered for the scripted run, and every row of
an export of a model-driven run is one of its recorded calls."""

from __future__ import annotations

import datasets
import pytest

from agentloop import registry
from agentloop.exports import PromptOptions, export
from agentloop.exports.rows import turn
from agentloop.loop import EpisodeSpec, LoopLimits, run_episode
from agentloop.prompt_spec import PlannerMode
from agentloop.recording import read_steps
from agentloop.recording.run import RunDir
from agentloop.roles import Roles
from agentloop.roles.critic import PreconditionCritic
from agentloop.roles.validator import EffectValidator
from agentloop.roles.vlm import VLMPlanner
from agentloop.testing import MemorySink
from tests.learning.conftest import TOY, cli
from tests.learning.mirror import MirrorModel


def _load(path) -> datasets.Dataset:
    return datasets.load_dataset("parquet", data_files=str(path), split="train")


def _key(prompt: list, reply: str) -> tuple[str, str]:
    return repr(prompt), reply


@pytest.mark.parametrize("mode", list(PlannerMode))
def test_the_model_planner_sends_what_the_export_rendered(scripted_toy, tmp_path, mode):
    rows = _load(export(scripted_toy, "stepwise", tmp_path, options=PromptOptions(mode=mode, images=False)))
    rendered: dict[tuple[str, int], list] = {}
    for r in rows:
        rendered.setdefault((r["episode_id"], r["step"]), []).append(_key(r["messages"], r["completion"]))
    model, env = MirrorModel(str(scripted_toy)), registry.make(TOY, slip=0.3)
    sent: dict[tuple[str, int], list] = {}
    for folder, rec in RunDir(scripted_toy).episodes():
        roles = Roles(VLMPlanner(model, mode=mode), PreconditionCritic(), EffectValidator())
        sink = MemorySink()
        run_episode(env, EpisodeSpec(TOY, seed=rec.seed), roles, LoopLimits(max_steps=rec.max_steps or 50), sink)
        assert [s.action_text for s in sink.steps] == [s.action_text for s in read_steps(folder)]  # same path
        for s in sink.steps:
            sent[(rec.episode_id, s.index)] = [_key([turn(m, False) for m in c.prompt], c.raw) for c in s.model_calls]
    assert sent == rendered  # byte for byte, every call of every step


def test_rows_of_a_model_driven_run_are_its_recorded_calls(scripted_toy, tmp_path):
    out = tmp_path / "driven"
    cli("run", TOY, "-n", "3", "--seed", "3", "--env-arg", "slip=0.3", "--out", str(out),
        "--model", "function:tests.learning.mirror:MirrorModel", env={"AGENTLOOP_MIRROR_RUN": str(scripted_toy)})
    recorded = {_key([turn(m, False) for m in c.prompt], c.raw)
                for f, _ in RunDir(out).episodes() for s in read_steps(f) for c in s.model_calls}
    rows = _load(export(out, "sft", tmp_path / "sft", options=PromptOptions(images=False)))
    assert len(rows) > 0 and set(rows["origin"]) == {"recorded"}
    for r in rows:
        assert _key(r["messages"][:-1], r["messages"][-1]["content"]) in recorded
    # And the scripted run's rows are the same rows: the prompts a trained model will meet.
    scripted = _load(export(scripted_toy, "sft", tmp_path / "scripted", options=PromptOptions(images=False)))
    assert sorted(map(str, scripted["messages"])) == sorted(map(str, rows["messages"]))
