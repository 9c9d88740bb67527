"""The report's parts on records written with the recording code itself: what colours a step,
the interval, script-safe JSON, marks over frames, model calls, animations, incremental builds."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from agentloop.calls import SkillCall
from agentloop.errors import ErrorKind, ReportError
from agentloop.recording import EpisodeWriter, RunDir
from agentloop.records import (
    CallRole,
    Candidate,
    EpisodeRecord,
    ModelCallRecord,
    Outcome,
    RunConfig,
    StepRecord,
    Verdict,
    VerdictSource,
)
from agentloop.report import build_site
from agentloop.report.kinds import StepKind, step_kinds
from agentloop.report.safejson import script_json
from agentloop.report.stats import wilson
from agentloop.scene import Node, SceneGraph
from tests.report.conftest import cli

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def step(index: int, **fields) -> StepRecord:
    return StepRecord(episode_id="e", index=index, started_at=T0, ended_at=T0, **fields)


def test_step_kinds_name_what_happened_most_telling_first():
    ok = Verdict(ok=True, score=1.0)
    no = Verdict(ok=False, reason="already on")
    formal = Verdict(ok=True, source=VerdictSource.NONE)
    ran = SkillCall(name="wait")
    assert step_kinds(step(0, action=ran, critic=ok, validator=ok)) == [StepKind.ACCEPTED]
    assert step_kinds(step(0, action=ran, critic=formal, validator=formal)) == [StepKind.ACCEPTED]
    assert step_kinds(step(0, action=ran, validator=ok, success=True)) == [StepKind.SUCCESS]
    rejected_then_failed = step(0, action=ran, candidates=[Candidate(text="a", verdict=no), Candidate(text="b", verdict=ok, executed=True)],
                                validator=Verdict(ok=False, reason="no effect"))
    assert step_kinds(rejected_then_failed) == [StepKind.VALIDATOR_FAILED, StepKind.REJECTED]
    assert step_kinds(step(0, critic=no, candidates=[Candidate(text="a", verdict=no)])) == [StepKind.REJECTED]
    assert step_kinds(step(0, action_error="parse: x", action_error_kind=ErrorKind.PARSE, human_feedback="left")) == [
        StepKind.ACTION_ERROR, StepKind.HUMAN]
    # A judge that failed passes the step through: not a validator failure.
    assert step_kinds(step(0, action=ran, validator=Verdict(ok=False, source=VerdictSource.ERROR))) == [StepKind.ACCEPTED]


def test_wilson_interval():
    assert wilson(0, 10)[0] == 0.0 and wilson(0, 10)[1] == pytest.approx(0.2775, abs=1e-4)
    assert wilson(10, 10)[1] == pytest.approx(1.0) and wilson(10, 10)[0] == pytest.approx(0.7225, abs=1e-4)
    low, high = wilson(6, 8)
    assert low < 0.75 < high and (low, high) == pytest.approx((0.4093, 0.9285), abs=1e-4)
    assert wilson(0, 0) == (0.0, 1.0)


def test_script_json_cannot_end_its_script_element():
    text = script_json({"s": "</script><script>alert(1)</script>", "sep": "a\u2028b", "amp": "&lt;"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"s": "</script><script>alert(1)</script>", "sep": "a\u2028b", "amp": "&lt;"}


def _scene(on: bool) -> dict:
    nodes = [Node(id="btn", kind="button", name="Go <now>", attrs={"bbox": [4, 4, 20, 10], "on": on}),
             Node(id="txt", kind="text", attrs={"text": "hi"})]
    return SceneGraph(nodes=nodes).model_dump(mode="json")


def _web_like_run(root: Path, episodes: int = 2) -> Path:
    """A run written by the recording code: frames with marks, a model call with an image, a diff."""
    RunDir(root).create(RunConfig(env_id="agentloop/test.web", episodes=episodes), ["agentloop/test.web"], ["m"])
    for i in range(episodes):
        eid = f"test.web__s{i:05d}__r00"
        w = EpisodeWriter(root, eid)
        frames = [w.frame(k, np.full((48, 64, 3), 40 * k, np.uint8)) for k in range(3)]
        call = ModelCallRecord(role=CallRole.PLAN, model="m", raw="{}", parsed={"a": 1}, latency_s=0.2,
                               prompt=[{"role": "user", "content": [{"type": "text", "text": "look"},
                                                                   {"type": "image", "ref": "image:abc"}]}])
        click = SkillCall(name="click", args={"element": "btn"})
        w.step(step(0, frame=frames[0], frame_after=frames[1], scene_graph=_scene(False), action=click,
                    action_text="click(element='btn')", model_calls=[call], validator=Verdict(ok=True)))
        w.step(step(1, frame=frames[1], frame_after=frames[2], scene_graph=_scene(True), action=click,
                    action_text="click(element='btn')", success=True, progress=1.0))
        w.finish(EpisodeRecord(episode_id=eid, env_id="agentloop/test.web", task="test.web", seed=i,
                               outcome=Outcome.SUCCESS, success=True, steps=2, started_at=T0, ended_at=T0))
    return root


def test_episode_page_has_marks_diff_calls_and_an_animation(tmp_path):
    run = _web_like_run(tmp_path / "run")
    result = build_site(run, jobs=1)
    assert (result.episodes, result.built, result.expected) == (2, 2, 2)
    out = run / "report"
    html = (out / "episodes" / "test.web__s00000__r00.html").read_text()
    assert html.count('<svg class="marks" viewBox="0 0 64 48"') == 3  # before and after of step 0, before of step 1
    assert "Go &lt;now&gt;" in html and "Go <now>" not in html
    assert "[image image:abc]" in html and "plan</b> · m" in html
    assert '<td class="before">false</td><td class="after">true</td>' in html  # btn.on in step 0's diff
    assert "the scene after the last step is not recorded" in html
    assert 'src="../../episodes/test.web__s00000__r00/frames/0000.png"' in html
    with Image.open(out / "anim" / "test.web__s00000__r00.webp") as im:
        assert im.n_frames == 3 and getattr(im, "is_animated", False)
    with Image.open(out / "anim" / "test.web__s00000__r00.thumb.webp") as im:
        assert max(im.size) <= 96


def test_rebuild_renders_only_what_is_new_or_changed(tmp_path):
    run = _web_like_run(tmp_path / "run")
    assert build_site(run, jobs=1).built == 2
    assert build_site(run, jobs=1).built == 0
    record = run / "episodes" / "test.web__s00001__r00" / "episode.json"
    record.write_text(record.read_text().replace('"goal": ""', '"goal": "a new goal"'))
    assert build_site(run, jobs=1).built == 1
    assert "a new goal" in (run / "report" / "data" / "episodes.js").read_text()


def test_build_on_worker_processes_and_an_episode_without_steps(tmp_path, monkeypatch):
    run = _web_like_run(tmp_path / "run", episodes=8)
    w = EpisodeWriter(run, "test.web__s00008__r00")  # the env failed to reset: no step, no frame
    w.finish(EpisodeRecord(episode_id="test.web__s00008__r00", env_id="agentloop/test.web", task="test.web", seed=8,
                           outcome=Outcome.ERROR, success=False, error="env reset failed: <boom>", started_at=T0,
                           ended_at=T0))
    monkeypatch.setattr("agentloop.report.site.POOL_FROM", 4)
    result = build_site(run, jobs=2)
    assert (result.episodes, result.built) == (9, 9)
    pages = sorted(p.name for p in (run / "report" / "episodes").iterdir())
    assert len(pages) == 9 and all(p.endswith(".html") for p in pages)
    empty = (run / "report" / "episodes" / "test.web__s00008__r00.html").read_text()
    assert "No step was recorded." in empty and "env reset failed: &lt;boom&gt;" in empty
    assert not (run / "report" / "anim" / "test.web__s00008__r00.webp").exists()
    data = (run / "report" / "data" / "episodes.js").read_text()
    assert '"test.web__s00008__r00","test.web",8,0,"error"' in data


def test_report_of_a_folder_that_is_no_run_is_one_line(tmp_path):
    code, _, err = cli("report", str(tmp_path))
    assert code == 2 and "is not a run folder" in err and "Traceback" not in err
    run = _web_like_run(tmp_path / "run", episodes=1)
    code, _, err = cli("report", str(run), "--out", str(tmp_path / "report.html"))
    assert code == 2 and "name a folder" in err


def test_unreadable_episode_is_a_report_error(tmp_path):
    run = _web_like_run(tmp_path / "run", episodes=1)
    (run / "episodes" / "test.web__s00000__r00" / "steps.jsonl").write_text("{not json\n")
    with pytest.raises(ReportError, match=re.escape("test.web__s00000__r00")):
        build_site(run, jobs=1)
