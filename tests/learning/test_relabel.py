"""DAgger's relabelling: a model's own run, exported with the scripted planner as teacher, gives
for every candidate the prompt the model was sent there and the teacher's decision in that
state, so the model learns to undo its own mistakes (which the scripted runs never make)."""

from __future__ import annotations

import json

import datasets
import pytest

from agentloop.context import Context
from agentloop.exports import PromptOptions, export
from agentloop.exports.rows import turn
from agentloop.models import tiny
from agentloop.perception import Perception
from agentloop.prompt_spec import PlannerMode, TrainedFor
from agentloop.recording import read_steps
from agentloop.recording.run import RunDir
from agentloop.scene import SceneGraph
from agentloop.testing.switches import SwitchesPlanner
from tests.learning.conftest import TOY, cli

torch = pytest.importorskip("torch")

SINGLE = PromptOptions(mode=PlannerMode.SINGLE, images=False)


@pytest.fixture(scope="module")
def untrained_run(scripted_toy, tmp_path_factory):
    """An untrained tiny model's run on the toy: its picks are chance among the lamps in view."""
    tmp = tmp_path_factory.mktemp("relabel")
    rows = datasets.load_dataset("parquet", split="train", data_files=str(export(scripted_toy, "sft", tmp / "sft",
                                                                                 options=SINGLE)))
    tok = tiny.train_tokenizer(tiny.row_texts(rows), vocab_size=500)
    torch.manual_seed(1)  # a draw whose first pick is a lamp the goal does not name
    tiny.causal_lm(tok, hidden=32, layers=1).save_pretrained(tmp / "model")
    tok.save_pretrained(tmp / "model")
    TrainedFor.current(PlannerMode.SINGLE, images=False).write(tmp / "model")
    cli("run", TOY, "-n", "3", "--seed", "20", "--max-steps", "6", "--out", str(tmp / "run"),
        "--model", f"hf:{tmp / 'model'}")
    return tmp / "run"


def test_relabelled_rows_are_the_prompts_sent_with_the_teachers_decision(untrained_run, tmp_path):
    rows = datasets.load_dataset("parquet", split="train", data_files=str(
        export(untrained_run, "sft", tmp_path, options=PromptOptions(mode=PlannerMode.SINGLE, images=False,
                                                                    teacher="scripted"))))
    sent, states, candidates = {}, {}, 0
    for folder, rec in RunDir(untrained_run).episodes():
        for s in read_steps(folder):
            candidates += len(s.candidates)
            states[(rec.episode_id, s.index)] = (rec.goal, s.scene_graph)
            for c in s.model_calls:
                if c.attempt == 0:
                    sent[(rec.episode_id, s.index, c.candidate)] = [turn(m, False) for m in c.prompt]
    assert len(rows) == candidates and set(rows["origin"]) == {"relabeled"}
    targets = []
    for r in rows:
        key = (r["episode_id"], r["step"])
        assert r["messages"][:-1] == sent[(*key, r["candidate"])]  # byte for byte what the model was sent
        goal, scene = states[key]
        ctx = Context(env_id=TOY, perception=Perception(goal=goal, scene_graph=SceneGraph.model_validate(scene)),
                      observation=None)
        expected = SwitchesPlanner().next_action(ctx)
        reply = json.loads(r["messages"][-1]["content"])
        assert (reply["skill"], reply["args"]) == (expected.name, expected.args)
        targets.append(reply["skill"])
    # The model switched on lamps the goal did not name; the teacher says to switch them off.
    assert "switch_off" in targets


def test_a_teacher_relabels_sft_rows_only(untrained_run, tmp_path):
    from agentloop.errors import ConfigError

    with pytest.raises(ConfigError, match="relabels sft rows"):
        export(untrained_run, "prm", tmp_path, options=PromptOptions(teacher="scripted"))
