"""What a model in each seat is shown and what it may answer, on real envs (the toy lamps, the
MuJoCo tabletop): goal facts that name only real ids, the critic's and validator's view of the
call (the nodes it names, the scene's diff, what the call was meant to do), a reply written as
a skill call, and a proposal given as a mapping recorded as call text."""

from __future__ import annotations

import pytest

from agentloop.calls import SkillCall
from agentloop.context import Context, HistoryItem, seen_in
from agentloop.envs.robot.env import RobotEnv
from agentloop.loop import EpisodeSpec, LoopLimits, run_episode
from agentloop.models import Completion, FunctionModel, ImagePart
from agentloop.models.base import parse_into
from agentloop.prompt_spec import PlannerMode
from agentloop.prompts.messages import critic_messages, goal_facts, single_messages, validator_messages
from agentloop.prompts.replies import decision_of
from agentloop.prompts.schemas import ActionChoice, CriticReply, PlanReply, ReflectReply
from agentloop.records import CallRole, Plan
from agentloop.roles import FunctionPlanner, Roles
from agentloop.roles.critic import PreconditionCritic
from agentloop.roles.validator import EffectValidator
from agentloop.roles.vlm import VLMPlanner
from agentloop.testing import MemorySink
from agentloop.testing.switches import SKILLS, SwitchesEnv

TOY = "agentloop/toy.switches"


@pytest.fixture
def lamps():
    env = SwitchesEnv()
    yield env
    env.close()


def _ctx(env, env_id: str = TOY, seed: int = 0, **more) -> Context:
    obs, info = env.reset(seed=seed)
    return Context.of(env_id, obs, info, env.unwrapped.skillset, **more)


def _user(messages) -> str:
    return messages[-1].text()


# -- goal facts ---------------------------------------------------------------------------------


def _robot(task: str) -> RobotEnv:
    return RobotEnv(task=task, arm="none")


def test_goal_facts_name_only_ids_in_the_scene():
    env = _robot("fruit-drawer")
    try:
        ctx = _ctx(env, "agentloop/robot.fruit-drawer")
        spec = ctx.perception.extra["goal_spec"]["predicates"][0]
        assert spec["target"] == "drawer_with_only_fruit" and spec["object"] in ctx.scene
        text = _user(single_messages(ctx, [], images=False))
        # The symbolic target is no id: the fact is left out, the goal's words say what is meant.
        assert goal_facts(ctx) == [] and "drawer_with_only_fruit" not in text and "GOAL AS FACTS" not in text
        assert "GOAL: put the" in text and "drawer that holds only fruit" in text
    finally:
        env.close()
    env = _robot("pick-place")
    try:
        ctx = _ctx(env, "agentloop/robot.pick-place")
        p = ctx.perception.extra["goal_spec"]["predicates"][0]
        assert goal_facts(ctx) == [f"{p['object']} in {p['target']}"]
        assert f"GOAL AS FACTS: {p['object']} in {p['target']}" in _user(single_messages(ctx, [], images=False))
    finally:
        env.close()


def test_a_hidden_goal_object_is_named_once_a_step_has_shown_it():
    env = _robot("find-in-drawer")
    try:
        ctx = _ctx(env, "agentloop/robot.find-in-drawer")
        target = ctx.perception.extra["goal_spec"]["predicates"][0]["object"]
        assert target not in ctx.scene and goal_facts(ctx) == []  # shut in a drawer: not yet an id
        for drawer in ("drawer_1", "drawer_2", "drawer_3"):
            obs, _, _, _, info = env.step(f'open(container="{drawer}")')
            opened = Context.of("agentloop/robot.find-in-drawer", obs, info, env.skillset)
            if target in opened.scene:
                break
            env.step(f'close(container="{drawer}")')
        assert target in opened.scene and len(goal_facts(opened)) == 1
        obs, _, _, _, info = env.step(f'close(container="{drawer}")')
        shut = Context.of("agentloop/robot.find-in-drawer", obs, info, env.skillset)
        assert target not in shut.scene and goal_facts(shut) == []
        shut.history.append(HistoryItem(index=0, action=f'open(container="{drawer}")', seen=seen_in(opened.scene)))
        assert goal_facts(shut) == goal_facts(opened)  # an earlier step showed it: a real id
    finally:
        env.close()


# -- the critic's and the validator's view of the call ------------------------------------------------


def _stepped(env, action: str, before: Context) -> Context:
    obs, _, _, _, info = env.step(action)
    return Context.of(TOY, obs, info, SKILLS, step=1)


def test_the_critic_sees_the_nodes_the_call_names_and_their_neighbours(lamps):
    ctx = _ctx(lamps)
    assert len(ctx.scene.nodes) == 5  # lamp_0 .. lamp_4 in a row, each left_of the next
    text = _user(critic_messages(SKILLS.bind('switch_on(lamp="lamp_2")'), ctx, False, images=False))
    assert "SCENE AROUND THE CALL (3 of 5 nodes: those it names, then their neighbours):" in text
    assert "SCENE GRAPH:" not in text
    assert all(f"[lamp_{i}]" in text for i in (1, 2, 3)) and "[lamp_0]" not in text and "[lamp_4]" not in text
    assert "[lamp_1] lamp" in text and "left_of lamp_2" in text
    # A call that names no node (finish) is judged on the whole scene.
    text = _user(critic_messages(SKILLS.bind('finish(status="done")'), ctx, False, images=False))
    assert "SCENE GRAPH:" in text and all(f"[lamp_{i}]" in text for i in range(5))


def test_the_validator_sees_what_the_call_meant_and_the_diff_not_two_scenes(lamps):
    plan = Plan(steps=['switch_on(lamp="lamp_2")'], rationale="lamp_2 is one the goal names")
    before = _ctx(lamps, plan=plan)
    call = SKILLS.bind('switch_on(lamp="lamp_2")')
    after = _stepped(lamps, str(call.call), before)
    messages = validator_messages(call, before, after, images=True)
    text = _user(messages)
    assert "ITS INTENT" not in text and SKILLS["switch_on"].description() not in text
    assert "WHAT THIS CALL WAS MEANT TO DO:\n- expected effect: lamp_2.on == True" in text
    assert "- the planner's reason: lamp_2 is one the goal names" in text
    assert "SCENE AROUND THE CALL BEFORE IT RAN (3 of 5 nodes" in text and "[lamp_0]" not in text
    assert "~ lamp_2.on: False -> True" in text.split("CHANGES AFTER THE ACTION:")[1]
    # The frames still go, before then after, and the prompt says which is which.
    assert sum(isinstance(p, ImagePart) for p in messages[-1].content) == 2
    assert "The first image is before the action, the second after." in text
    # A call the plan does not name has no reason stated; a text-only prompt mentions no image.
    other = SKILLS.bind('switch_on(lamp="lamp_4")')
    text = _user(validator_messages(other, before, _stepped(lamps, str(other.call), before), images=False))
    assert "planner's reason" not in text and "image" not in text


def test_the_validator_falls_back_to_the_skill_description_where_no_effect_is_declared(lamps):
    before = _ctx(lamps)
    call = SKILLS.bind("wait()")
    text = _user(validator_messages(call, before, _stepped(lamps, "wait()", before), images=False))
    assert f"- what the skill does: {SKILLS['wait'].description()} (it declares no effect to check" in text
    assert "BEFORE IT RAN" not in text and "CHANGES AFTER THE ACTION:\n(no change)" in text


# -- a reply written as a skill call ----------------------------------------------------------------


CALL = 'switch_on(lamp="lamp_3")'
CHOICE = ActionChoice(skill="switch_on", args={"lamp": "lamp_3"})


def _parsed(text: str, schema) -> Completion:
    return parse_into(Completion(text=text, model="m"), schema)


@pytest.mark.parametrize("reply", [CALL, f"```\n{CALL}\n```", f"```python\n{CALL}\n```",
                                   f"I will switch it on:\n```\n{CALL}\n```"])
def test_a_reply_that_is_one_skill_call_is_taken_as_the_schemas_reply(reply):
    assert _parsed(reply, ActionChoice).parsed == CHOICE
    assert _parsed(reply, PlanReply).parsed.next_action == CHOICE
    assert _parsed(reply, ReflectReply).parsed.next_action == CHOICE
    # The exports read a recorded reply as the runtime did.
    assert decision_of(CallRole.ACTION, reply) == CHOICE and decision_of(CallRole.PLAN, reply) == CHOICE


@pytest.mark.parametrize("reply", ["switch on lamp 3 please", "wait", f"{CALL}\n{CALL}",
                                   f"```\n{CALL}\n```\n```\nwait()\n```", "lamp_3.switch_on()"])
def test_anything_else_keeps_the_not_json_error(reply):
    c = _parsed(reply, ActionChoice)
    assert c.parsed is None and c.parse_error.startswith("reply is not JSON:")


def test_a_call_is_no_reply_where_the_schema_asks_for_none_and_a_bad_call_says_why():
    assert _parsed(CALL, CriticReply).parse_error.startswith("reply is not JSON:")
    error = _parsed('switch_on("lamp_3")', ActionChoice).parse_error
    assert error.startswith("reply is neither JSON nor a usable skill call:") and "keyword arguments" in error
    # Braces inside a call are its arguments', not a JSON reply.
    assert _parsed('type(element="3", text="{a}")', ActionChoice).parsed.args == {"element": "3", "text": "{a}"}


def test_the_planner_acts_on_a_reply_in_call_syntax(lamps):
    model = FunctionModel(lambda messages, schema, sampling: f"```\n{CALL}\n```")
    planner, ctx = VLMPlanner(model, mode=PlannerMode.SINGLE), _ctx(lamps)
    planner.reset(ctx)
    assert planner.propose(ctx).action == CALL
    assert [c.error for c in ctx.model_calls] == [None] and ctx.model_calls[0].parsed == CHOICE.model_dump()


# -- a proposal given as a mapping ----------------------------------------------------------------------


def test_a_mapping_proposal_is_recorded_as_its_call_text(lamps):
    proposals = iter([{"skill": "switch_on", "args": {"lamp": "lamp_3"}}, {"lamp": "lamp_4"}])
    roles = Roles(FunctionPlanner(lambda ctx: next(proposals)), PreconditionCritic(), EffectValidator())
    sink = MemorySink()
    run_episode(lamps, EpisodeSpec(TOY, 0), roles, LoopLimits(max_steps=2), sink=sink)
    first, second = (s.candidates[0] for s in sink.steps)
    assert first.text == CALL and first.executed and sink.steps[0].action_text == CALL
    assert second.text == '{"lamp": "lamp_4"}' and second.action_error  # no call: its JSON, not a repr
    assert SkillCall.parse(first.text) == first.call
