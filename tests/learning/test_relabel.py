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
from agentloop.perception import Perception
from agentloop.prompt_spec import PlannerMode
from agentloop.recording import read_steps
from agentloop.recording.run import RunDir
from agentloop.scene import SceneGraph
from agentloop.testing.switches import SwitchesPlanner
from tests.learning.conftest import TOY, cli


@pytest.fixture(scope="module")
def mistaken_run(tmp_path_factory):
    """A model's run on the toy that switches on a lamp the goal does not name, step after step."""
    tmp = tmp_path_factory.mktemp("relabel")
    cli("run", TOY, "-n", "3", "--seed", "20", "--max-steps", "6", "--out", str(tmp / "run"),
        "--planner", "model:single", "--model", "function:tests.learning.wrong_lamp:reply")
    return tmp / "run"


def test_relabelled_rows_are_the_prompts_sent_with_the_teachers_decision(mistaken_run, tmp_path):
    rows = datasets.load_dataset("parquet", split="train", data_files=str(
        export(mistaken_run, "sft", tmp_path, options=PromptOptions(mode=PlannerMode.SINGLE, images=False,
                                                                    teacher="scripted"))))
    sent, states, candidates = {}, {}, 0
    for folder, rec in RunDir(mistaken_run).episodes():
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


def test_a_teacher_relabels_sft_rows_only(mistaken_run, tmp_path):
    from agentloop.errors import ConfigError

    with pytest.raises(ConfigError, match="relabels sft rows"):
        export(mistaken_run, "prm", tmp_path, options=PromptOptions(teacher="scripted"))
