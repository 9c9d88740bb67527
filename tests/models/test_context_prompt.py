"""What every model is told at a step: memory of what left the view, the history window, live
feedback with counts, the step and its limit, the finish skill, and a plan that follows the
episode. Rendered by the runtime's own prompt code on real scene graphs, and run through the
loop on the switches env."""

from __future__ import annotations

import pytest

from agentloop import registry
from agentloop.context import Context, HistoryItem, seen_in
from agentloop.loop import EpisodeSpec, LoopLimits, run_episode
from agentloop.perception import Perception
from agentloop.prompt_spec import PlannerMode
from agentloop.prompts.messages import action_messages, single_messages
from agentloop.prompts.schemas import ActionChoice, grounded
from agentloop.records import Feedback, FeedbackSource, Outcome, Verdict
from agentloop.roles import Roles
from agentloop.roles.critic import PreconditionCritic
from agentloop.roles.validator import EffectValidator
from agentloop.roles.vlm import VLMPlanner
from agentloop.scene import Node, Relation, SceneGraph
from agentloop.skills.android import SKILLS as ANDROID
from agentloop.skills.robot import SKILLS as ROBOT
from agentloop.skills.web import WEB_SKILLS as WEB
from agentloop.skillset import FinishStatus
from agentloop.testing import MemorySink
from agentloop.testing.models import ScriptedModel
from agentloop.testing.switches import SKILLS as SWITCHES

TOY = "agentloop/toy.switches"
OK = Verdict(ok=True, reason="expected effects hold")


def _cards(shown: dict[str, str]) -> SceneGraph:
    """A find-greatest page: three cards, each hidden or showing its number."""
    nodes = [Node(id="page", kind="page", name="Find Greatest", attrs={"url": "http://x/find-greatest.html"})]
    nodes += [Node(id=c, kind="generic", name=shown.get(c, "card hidden")) for c in ("2", "3", "4")]
    nodes.append(Node(id="5", kind="button", name="Submit"))
    return SceneGraph(nodes=nodes)


def _ctx(scene: SceneGraph, history: list[HistoryItem], step: int, feedback: list[Feedback] | None = None,
         skills=SWITCHES, max_steps: int | None = 30) -> Context:
    perception = Perception(scene_graph=scene, skills=skills.specs(), goal="pick the greatest card")
    return Context(env_id="agentloop/miniwob.find-greatest", perception=perception, observation={}, skillset=skills,
                   step=step, max_steps=max_steps, history=history, feedback=feedback or [])


def _text(messages) -> str:
    return messages[-1].text()


def _clicks(scenes: list[SceneGraph], targets: list[str]) -> list[HistoryItem]:
    return [HistoryItem(index=i, action=f'click(element="{t}")', validator=OK, seen=seen_in(s))
            for i, (s, t) in enumerate(zip(scenes, targets))]


def test_what_earlier_steps_showed_is_recalled_once_it_is_hidden():
    scenes = [_cards({}), _cards({"2": "37"}), _cards({"3": "81"})]
    history = _clicks(scenes, ["2", "3", "4"])
    text = _text(single_messages(_ctx(_cards({"4": "12"}), history, 3), [], images=False))
    memory = text.split("NO LONGER IN VIEW", 1)[1].split("\n\n", 1)[0]
    assert '[3] generic "81"; now generic "card hidden"' in memory and 'step 2: [2] generic "37"' in memory
    assert memory.index('"81"') < memory.index('"37"')  # newest first
    assert "card hidden" not in memory.split("now")[0]  # what some card still shows is no memory
    fresh = _text(single_messages(_ctx(_cards({}), [], 0), [], images=False))
    assert "NO LONGER IN VIEW" not in fresh


def test_an_object_shut_away_is_recalled_where_it_was():
    def scene(with_banana: bool) -> SceneGraph:
        nodes = [Node(id="drawer_1", kind="drawer", name="drawer_1", attrs={"open": with_banana})]
        rels = []
        if with_banana:
            nodes.append(Node(id="banana", kind="object", name="banana", attrs={"position": [0.1, 0.2, 0.3]}))
            rels.append(Relation(src="banana", rel="in", dst="drawer_1"))
        return SceneGraph(nodes=nodes, relations=rels)
    history = [HistoryItem(index=0, action='close(container="drawer_1")', validator=OK, seen=seen_in(scene(True)))]
    text = _text(single_messages(_ctx(scene(False), history, 1, skills=ROBOT), [], images=False))
    assert '- step 1: [banana] object "banana" (in drawer_1)' in text


def test_the_history_window_is_stated_and_older_steps_summed_up():
    scenes = [_cards({})] * 9
    history = _clicks(scenes, ["2", "3", "4", "2", "3", "4", "2", "3", "5"])
    history[1] = HistoryItem(index=1, action='click(element="3")', validator=Verdict(ok=False, reason="no change"))
    text = _text(single_messages(_ctx(_cards({}), history, 9), [], images=False))
    assert "HISTORY (last 6 of 9 steps, most recent last; earlier: click x3 (1 failed)):" in text
    assert "- step 4: click" in text and "- step 3: click" not in text


def test_a_step_whose_id_now_names_another_element_is_marked():
    before = _cards({})
    history = _clicks([before], ["5"])
    after = SceneGraph(nodes=[Node(id="page", kind="page", name="Done", attrs={"url": "http://x/next.html"}),
                              Node(id="5", kind="alert", name="Saved")])
    text = _text(single_messages(_ctx(after, history, 1), [], images=False))
    assert 'step 1: click(element="5") -> ok (ids since changed: [5] was button "Submit", now alert "Saved")' in text
    same = _text(single_messages(_ctx(_cards({"2": "9"}), history, 1), [], images=False))
    assert "ids since changed" not in same  # the same button on the same page
    moved_on = SceneGraph(nodes=[Node(id="page", kind="page", name="Done", attrs={"url": "http://x/next.html"}),
                                 Node(id="5", kind="button", name="Submit")])
    text = _text(single_messages(_ctx(moved_on, history, 1), [], images=False))
    assert "ids since changed" not in text  # another page, but the id still names the same button


def _feedback_text(feedback: list[Feedback], history: list[HistoryItem], step: int) -> str:
    text = _text(single_messages(_ctx(_cards({}), history, step), feedback, images=False))
    return text.split("FEEDBACK TO ACT ON", 1)[1] if "FEEDBACK TO ACT ON" in text else ""


def test_feedback_stays_while_it_applies_and_repeats_are_counted():
    refusal = Feedback(source=FeedbackSource.CRITIC, message="element 213 is not visible", step=2)
    failures = [Feedback(source=FeedbackSource.VALIDATOR, message="pick did not hold the banana", step=i)
                for i in (3, 4, 5)]
    failed = [HistoryItem(index=i, action='click(element="2")', validator=Verdict(ok=False, reason="x"))
              for i in (2, 3, 4, 5)]
    live = _feedback_text([refusal, *failures], failed, 6)
    assert "[critic, step 3] element 213 is not visible" in live
    assert "[validator, steps 4-6, 3 times] pick did not hold the banana" in live
    passed = [*failed, HistoryItem(index=6, action='scroll(element="213")', validator=OK)]
    assert _feedback_text([refusal, *failures], passed, 7) == ""  # a later action passed: it no longer applies
    human = Feedback(source=FeedbackSource.HUMAN, message="use the blue bowl", step=1)
    assert "[human correction - follow it, step 2] use the blue bowl" in _feedback_text([human], passed, 7)


def test_every_prompt_states_the_step_and_its_limit():
    ctx = _ctx(_cards({}), [], 5)
    for messages in (single_messages(ctx, [], images=False), action_messages(ctx, [], images=False)):
        assert "STEP 6 of 30" in _text(messages)


def test_every_vocabulary_can_finish_and_the_schema_offers_it():
    for vocab in (ROBOT, WEB, ANDROID, SWITCHES):
        assert vocab.names()[-1] == "finish" and vocab["finish"].by_loop
    schema = grounded(ActionChoice, SWITCHES.specs(), _cards({})).model_json_schema()
    finish = next(v for v in schema["anyOf"] if v["properties"]["skill"] == {"const": "finish"})
    assert finish["properties"]["args"]["properties"]["status"] == {"type": "string", "enum": ["done", "infeasible"]}
    assert 'finish(status: "done"|"infeasible", answer: string = optional)' in _text(
        single_messages(_ctx(_cards({}), [], 0), [], images=False))


def _run(replies: dict, mode: PlannerMode = PlannerMode.SINGLE, steps: int = 8):
    model = ScriptedModel(replies)
    sink = MemorySink()
    roles = Roles(VLMPlanner(model, mode=mode, retries=0), PreconditionCritic(), EffectValidator())
    result = run_episode(registry.make(TOY), EpisodeSpec(TOY, seed=3), roles, LoopLimits(max_steps=steps), sink)
    return result.record, sink.steps, model


@pytest.mark.parametrize("status", list(FinishStatus))
def test_finish_ends_the_episode_and_the_env_judges_the_claim(status):
    goal = registry.make(TOY).reset(seed=3)[1]["agentloop"].goal
    first = next(w for w in goal.replace(",", " ").split() if w.startswith("lamp_"))
    finish = {"skill": "finish", "args": {"status": status.value, "answer": "all on"}}
    record, steps, _ = _run({"action": [{"skill": "switch_on", "args": {"lamp": first}}, finish]})
    # The claim ends the episode; the env, whose goal is not reached, decides the outcome.
    assert record.outcome is Outcome.FAILURE and not record.success and record.steps == 2
    assert record.claim is not None and record.claim.status is status and record.claim.answer == "all on"
    assert steps[-1].action_text == f'finish(status="{status.value}", answer="all on")'
    assert record.final_progress == steps[-1].progress
    # A claim of done is checked against the env's account (a false one is a failed step); the env
    # has no account of feasibility, so a claim of infeasible is not judged.
    verdict = steps[-1].validator
    if status is FinishStatus.DONE:
        assert not verdict.ok and verdict.judged and record.validator_failures == 1 and steps[-1].label is False
    else:
        assert not verdict.judged and record.validator_failures == 0


def test_the_action_prompt_marks_done_steps_and_a_spent_plan_is_remade():
    plan = {"phase": "complete", "subgoals": ["lamps on"], "steps": ['switch_on(lamp="lamp_0")', 'wait()'],
            "rationale": "", "next_action": {"skill": "switch_on", "args": {"lamp": "lamp_0"}}}
    again = {**plan, "steps": [], "next_action": {"skill": "wait", "args": {}}}
    record, steps, model = _run({"plan": [plan, again], "action": [{"skill": "wait", "args": {}}]},
                                mode=PlannerMode.STAGED, steps=3)
    roles = [[c.role.value for c in s.model_calls] for s in steps]
    assert roles == [["plan"], ["action"], ["plan"]]  # no reflection: the rules found the call sound
    shown = model.asked["action"][0]
    assert '- [x] switch_on(lamp="lamp_0")\n- [ ] wait()' in shown and "made at step 1" in shown


def test_reflection_runs_where_the_rules_find_the_call_wrong_and_can_change_it():
    wrong = {"phase": "complete", "subgoals": [], "steps": [], "rationale": "",
             "next_action": {"skill": "switch_on", "args": {"lamp": "lamp_9"}}}
    fixed = {"ok": False, "problems": ["lamp_9 is not there"], "phase": "complete", "subgoals": [], "steps": [],
             "next_action": {"skill": "switch_on", "args": {"lamp": "lamp_1"}}}
    record, steps, model = _run({"plan": [wrong], "reflect": [fixed]}, mode=PlannerMode.STAGED, steps=1)
    assert [c.role.value for c in steps[0].model_calls][:2] == ["plan", "reflect"]
    assert steps[0].action_text == 'switch_on(lamp="lamp_1")'  # the reflection changed the action


def test_single_and_staged_render_the_same_scene_and_skills():
    scene = SceneGraph(nodes=[Node(id="banana", kind="object", name="banana", attrs={"position": [0.1, 0.2, 0.03]})])
    ctx = _ctx(scene, [], 0, skills=ROBOT)
    single, staged = _text(single_messages(ctx, [], images=False)), _text(action_messages(ctx, [], images=False))
    assert "position=(0.1,0.2,0.03)" in single
    for spec in ROBOT.specs():
        assert f"- {spec.signature()}" in single and spec.description in single
    assert single.split("Next skill call")[0].strip() == staged.split("Name the single")[0].strip()
