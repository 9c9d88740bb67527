"""The model doubles answer from the schema they are asked to fill, never from the prompt's
wording: every reply validates, the grounded ones name a listed skill and an id in view, and a
test steers the choices."""

import json

import httpx
import pytest

from agentloop.loop import EpisodeSpec, LoopLimits, run_episode
from agentloop.models.types import Message
from agentloop.prompt_spec import PlannerMode
from agentloop.prompts.schemas import ActionChoice, CriticReply, PlanReply, ReflectReply, ValidatorReply, grounded
from agentloop.roles import EffectValidator, PreconditionCritic, Roles
from agentloop.roles.critic import ChainedCritic
from agentloop.roles.vlm import VLMCritic, VLMPlanner
from agentloop.testing import MemorySink, SwitchesEnv
from agentloop.testing.models import ReplyKind, ScriptedModel, TestModel
from agentloop.testing.openai_server import OpenAIServerDouble
from agentloop.testing.replies import SchemaReplies
from agentloop.testing.switches import SKILLS

LAMPS = [f"lamp_{i}" for i in range(5)]


@pytest.fixture(scope="module")
def scene():
    with SwitchesEnv() as env:
        env.reset(seed=0)
        return env.unwrapped._observe()[1]


@pytest.mark.parametrize("schema", [ActionChoice, PlanReply, ReflectReply, CriticReply, ValidatorReply])
def test_every_reply_fits_its_schema_grounded_or_not(schema, scene):
    replies = SchemaReplies()
    for fitted in (schema, grounded(schema, SKILLS.specs(), scene) if schema in (ActionChoice, PlanReply, ReflectReply)
                   else schema):
        for _ in range(6):
            schema.model_validate_json(replies.text(fitted))


def test_grounded_replies_walk_through_the_listed_skills_and_the_ids_in_view(scene):
    replies = SchemaReplies()
    schema = grounded(ActionChoice, SKILLS.specs(), scene)
    calls = [ActionChoice.model_validate(replies.reply(schema)) for _ in range(8)]
    assert {c.skill for c in calls} == set(SKILLS.names())
    assert {c.args["lamp"] for c in calls if "lamp" in c.args} <= set(LAMPS)
    assert len({c.args.get("lamp") for c in calls}) > 2  # not one id over and over


def test_a_test_steers_the_choices_by_path(scene):
    last = SchemaReplies(values={"accept": False, "next_action.args.lamp": "lamp_3"},
                         choose=lambda path, options: 1 if path == "next_action" else 0)
    assert CriticReply.model_validate(last.reply(CriticReply)).accept is False
    plan = PlanReply.model_validate(last.reply(grounded(PlanReply, SKILLS.specs(), scene)))
    assert plan.next_action == ActionChoice(skill="switch_off", args={"lamp": "lamp_3"})


def test_the_kind_of_a_call_is_its_schema_whatever_the_prompt_says():
    model = ScriptedModel({"plan": [{"phase": "explore", "next_action": None}]})
    asked = [Message(role="user", content="words no template has")]
    assert model.complete(asked, PlanReply).parsed.phase == "explore"
    assert model.complete(asked, CriticReply).parsed.accept is True  # the queue is dry: built from the schema
    retry = [*asked, Message(role="assistant", content="not json"), Message(role="user", content="again")]
    assert ValidatorReply.model_validate(model.complete(retry, ValidatorReply).parsed)
    assert [s["kind"] for s in model.sampling] == [ReplyKind.PLAN, ReplyKind.CRITIC, ReplyKind.RETRY]


def test_an_episode_driven_by_the_test_model_uses_every_reply():
    model = TestModel()
    roles = Roles(VLMPlanner(model, mode=PlannerMode.STAGED), ChainedCritic(PreconditionCritic(), VLMCritic(model)),
                  EffectValidator())
    sink = MemorySink()
    with SwitchesEnv() as env:
        result = run_episode(env, EpisodeSpec("agentloop/toy.switches", seed=1), roles, LoopLimits(max_steps=6), sink)
    calls = [c for s in sink.steps for c in s.model_calls]
    assert result.record.steps == len(sink.steps) > 0 and calls
    assert all(c.error is None and c.parsed is not None for c in calls)
    assert {s.action.name for s in sink.steps if s.action} <= set(SKILLS.names())


def test_the_server_double_answers_from_the_requests_schema(scene):
    schema = grounded(ActionChoice, SKILLS.specs(), scene)
    body = {"model": "double", "messages": [{"role": "user", "content": "anything"}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "ActionChoice",
                                                                       "schema": schema.model_json_schema()}}}
    with OpenAIServerDouble() as server:
        server.replies.values["args.lamp"] = "lamp_4"
        first = httpx.post(f"{server.base_url}/chat/completions", json=body).json()
        plain = httpx.post(f"{server.base_url}/chat/completions", json={**body, "response_format": None}).json()
    choice = ActionChoice.model_validate_json(first["choices"][0]["message"]["content"])
    assert choice.skill in SKILLS.names() and choice.args.get("lamp", "lamp_4") == "lamp_4"
    assert json.loads(plain["choices"][0]["message"]["content"]) == {}
