"""`steps.jsonl` lines are the JSON pydantic writes for the same record, whatever the record holds."""

from __future__ import annotations

import dataclasses
import enum
import json
import math
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, computed_field

from agentloop.records import Candidate, Feedback, ModelCallRecord, Plan, RewardComponents, StepRecord, Verdict
from agentloop.plainjson import plain_models
from agentloop.recording.lines import step_json
from agentloop.scene import Node, SceneData, SceneGraph
from agentloop.skills import SkillCall


class Colour(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Point:
    x: int
    y: float


class Other(BaseModel):
    name: str = "other"


class WithComputed(BaseModel):
    a: int = 1

    @computed_field  # type: ignore[prop-decorator]
    @property
    def b(self) -> int:
        return self.a + 1


def _full(**over: Any) -> StepRecord:
    verdict = Verdict(ok=True, score=1.0, reason="preconditions hold")
    call = SkillCall(name="place", args={"object": "red_cube", "target": "blue_bowl"})
    base: dict[str, Any] = dict(
        episode_id="toy.switches__s00001__r00", index=3,
        started_at=datetime(2026, 11, 27, 4, 26, 24, 335086, tzinfo=timezone.utc),
        ended_at=datetime(2026, 11, 27, 4, 26, 25, tzinfo=timezone.utc),
        frame="frames/0003.png", frame_after="frames/0004.png", text_view='say "hi"\n\tand \u00e9 \U0001f600',
        scene_graph={"nodes": [{"id": "lamp_0", "attrs": {"on": True, "bbox": [1.5, 2, None]}}], "relations": []},
        state_key="abc", plan=Plan(subgoals=["a"], steps=["b"], rationale="r"), plan_reflected=None,
        candidates=[Candidate(text=str(call), call=call, verdict=verdict, executed=True)],
        action=call, action_text=str(call), critic=verdict,
        validator=Verdict(ok=False, score=0.0, reason="no", source="vlm", suggestion="try again"),
        rewards=RewardComponents(env=1.0, progress=0.25, critic=1.0, validator=0.0), success=True,
        progress=0.25, label=True, timings={"plan": 1e-05, "act": 0.125, "total": 3.0},
        model_calls=[ModelCallRecord(
            role="planner", model="m", prompt=[{"role": "user", "content": "x"}], raw="{}",
            parsed={"k": [1, 2.5, None, True]}, latency_s=0.5, token_logprobs=[-0.1, -2.0],
        )],
        feedback=[Feedback(source="critic", message="m", step=3)], env_info={"k": {"n": 1}},
    )
    base.update(over)
    return StepRecord(**base)


def _same(record: StepRecord) -> None:
    try:
        expected = record.model_dump_json()
    except Exception as e:  # what pydantic cannot write, the line cannot either, and says why alike
        with pytest.raises(type(e)):
            step_json(record)
        return
    line = step_json(record)
    assert b"\n" not in line
    assert json.loads(line) == json.loads(expected)
    assert StepRecord.model_validate_json(line) == StepRecord.model_validate_json(expected)


def test_plain_records_take_the_fast_path_and_others_pydantic(monkeypatch):
    import agentloop.recording.lines as lines

    class Refuse:
        def dump_json(self, record: StepRecord) -> bytes:
            raise AssertionError("went through pydantic")

    monkeypatch.setattr(lines, "_STEP", Refuse())
    assert json.loads(step_json(_full()))["index"] == 3
    with pytest.raises(AssertionError, match="through pydantic"):
        step_json(_full(env_info={"model": Other()}))


def test_a_scene_graph_taken_as_json_data_goes_into_the_line_as_its_bytes():
    scene = SceneGraph(nodes=[Node(id="lamp_0", kind="lamp", attrs={"on": True, "bbox": [1.5, 2, None]})], meta={"é": 1})
    record = _full()
    record.scene_graph = scene.json_data()  # as the loop sets it
    assert type(record.scene_graph) is SceneData
    assert record.scene_graph.raw in step_json(record)
    _same(record)
    record.env_info = {"model": Other()}  # a record pydantic writes: the scene graph as a dict
    _same(record)


def test_every_model_a_step_holds_is_written_by_its_fields():
    assert plain_models(StepRecord) == {
        StepRecord, Plan, Candidate, SkillCall, Verdict, RewardComponents, ModelCallRecord, Feedback,
    }


@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")
@pytest.mark.parametrize("over", [
    {},
    {"scene_graph": None, "plan": None, "candidates": [], "model_calls": []},
    {"started_at": datetime(2026, 1, 1, 0, 0, 0)},  # naive
    {"started_at": datetime(2026, 1, 1, 12, 0, 0, 1, tzinfo=timezone(timedelta(hours=-5)))},
    {"env_info": {"nan": math.nan, "inf": math.inf, "tuple": (1, "a"), "colour": Colour.RED, "point": Point(1, 2.5)}},
    # not plain JSON data: written by pydantic, the same as before
    {"env_info": {"set": {1}}},
    {"env_info": {"bytes": b"raw"}},
    {"env_info": {"path": Path("/tmp/x")}},
    {"env_info": {1: "int key"}},
    {"env_info": {"big": 2**70}},
    {"env_info": {"numpy": np.float32(0.5)}},
    {"env_info": {"model": Other()}},
    {"env_info": {"computed": WithComputed()}},
    {"extra_field": {"kept": True}},  # StepRecord allows extra fields
])
def test_a_line_is_the_json_pydantic_writes(over: dict[str, Any]):
    record = _full()
    for k, v in over.items():  # set after construction, as the loop fills a step in
        setattr(record, k, v)
    _same(record)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.floats(allow_nan=True) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(info=st.dictionaries(st.text(max_size=8), json_values, max_size=5), text=st.text(), index=st.integers(0, 10**6))
def test_lines_match_pydantic_for_any_json_data(info: dict[str, Any], text: str, index: int):
    _same(_full(env_info=info, text_view=text, index=index, scene_graph={"nodes": [info]}))


def test_models_with_their_own_json_settings_go_through_pydantic():
    from pydantic import ConfigDict, field_serializer

    class Infs(BaseModel):
        model_config = ConfigDict(ser_json_inf_nan="constants")
        x: float = math.inf

    class Shouting(BaseModel):
        word: str = "hi"

        @field_serializer("word")
        def _up(self, v: str) -> str:
            return v.upper()

    class Holder(BaseModel):
        a: Infs = Infs()
        b: Shouting = Shouting()
        c: Other = Other()

    assert plain_models(Holder) == {Holder, Other}
    _same(_full(env_info={"infs": Infs(), "shouting": Shouting()}))


def test_a_model_with_a_field_never_set_is_written_as_pydantic_writes_it():
    record = _full()
    record.critic = Verdict.model_construct(score=1.0)  # no `ok`: the record does not validate
    assert json.loads(step_json(record)) == json.loads(record.model_dump_json())


def test_a_line_with_its_newline_is_the_same_line():
    from agentloop.recording.lines import step_line

    for record in (_full(), _full(env_info={"model": Other()})):
        assert step_line(record) == step_json(record) + b"\n"


def test_episode_json_is_the_json_pydantic_writes():
    from agentloop.records import EpisodeRecord
    from agentloop.recording.lines import episode_json

    when = datetime(2026, 11, 27, 4, 26, 24, 335086, tzinfo=timezone.utc)
    record = EpisodeRecord(
        episode_id="e", env_id="agentloop/toy.switches", task="toy.switches", seed=3, goal="é \U0001f600",
        outcome="success", success=True, step_rewards=[0.0, 1.0], step_progress=[0.5, None],
        step_times=[1e-05, 0.25], critic_agreement={"accept_ok": 2}, started_at=when, ended_at=when,
    )
    for rec in (record, record.model_copy(update={"final_progress": math.nan, "models": ["m"]})):
        text = episode_json(rec)
        assert json.loads(text) == json.loads(rec.model_dump_json())
        assert EpisodeRecord.model_validate_json(text) == EpisodeRecord.model_validate_json(rec.model_dump_json())
        assert text.startswith(b'{\n  "schema_version"')  # indented, one field a line
