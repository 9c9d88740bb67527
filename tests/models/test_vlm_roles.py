"""The model-based roles one call at a time, on the toy env's real perception: the planner's
stages inside `propose`, sampling for extra best-of-N draws, and verdicts from unusable replies."""

from __future__ import annotations

import pytest

from agentloop.context import Context
from agentloop.models.openai_http import OpenAIModel
from agentloop.prompt_spec import PlannerMode, prompt_version
from agentloop.records import Feedback, FeedbackSource, VerdictSource
from agentloop.roles.validator import ChainedValidator, EffectValidator
from agentloop.roles.vlm import VLMCritic, VLMPlanner, VLMValidator
from agentloop.testing.models import ScriptedModel
from agentloop.testing.openai_server import OpenAIServerDouble
from agentloop.testing.switches import SKILLS, SwitchesEnv

ON_2 = {"skill": "switch_on", "args": {"lamp": "lamp_2"}}
ON_4 = {"skill": "switch_on", "args": {"lamp": "lamp_4"}}


def _plan(action: dict) -> dict:
    return {"phase": "complete", "subgoals": ["lamps on"], "steps": [], "rationale": "r", "next_action": action}


def _reflect(action: dict | None = None) -> dict:
    return {"ok": True, "problems": [], "phase": "complete", "subgoals": [], "steps": [], "next_action": action}


@pytest.fixture
def env():
    e = SwitchesEnv()
    yield e
    e.close()


def _ctx(env: SwitchesEnv, seed: int = 0) -> Context:
    obs, info = env.reset(seed=seed)
    return Context.of("agentloop/toy.switches", obs, info, SKILLS)


def test_propose_plans_and_reflects_at_start_and_after_feedback_only(env):
    model = ScriptedModel({"plan": [_plan(ON_2), _plan(ON_4)], "reflect": [_reflect(), _reflect(ON_4)],
                           "action": [ON_4]})
    planner, ctx = VLMPlanner(model), _ctx(env)
    planner.reset(ctx)

    first = planner.propose(ctx)
    assert first.action == 'switch_on(lamp="lamp_2")'
    assert first.plan is not None and first.plan.steps[0] == first.action
    # The rules find the committed call sound: no reflection, which would only repeat it.
    assert first.reflected is None
    assert [c.role for c in ctx.model_calls] == ["plan"]

    # Nothing new to plan for (the plan's next step has not run): one action call, no plan.
    ctx.step, ctx.plan = 1, first.plan
    second = planner.propose(ctx)
    assert second.plan is None and second.action == 'switch_on(lamp="lamp_4")'
    assert ctx.model_calls[-1].role == "action"

    # Feedback makes it plan again.
    fb = Feedback(source=FeedbackSource.HUMAN, message="the far lamp first", step=1)
    ctx.feedback.append(fb)
    planner.feedback(fb, ctx)
    third = planner.propose(ctx)
    assert third.plan is not None and third.action == 'switch_on(lamp="lamp_4")'
    assert third.plan.steps[0] == third.action
    assert "[human correction - follow it, step 2] the far lamp first" in model.asked["plan"][-1]
    assert planner.received == [fb]
    assert [c.role for c in ctx.model_calls][-2:] == ["action", "plan"]


def test_another_candidate_at_the_same_step_is_sampled(env):
    model = ScriptedModel({"plan": [_plan(ON_2)], "action": [ON_4]}, fallback=lambda kind, p: _reflect())
    planner, ctx = VLMPlanner(model, sample_temperature=0.9), _ctx(env)
    planner.reset(ctx)
    planner.propose(ctx)
    ctx.candidate = 1
    assert planner.propose(ctx).action == 'switch_on(lamp="lamp_4")'
    by_kind = {s["kind"]: s["temperature"] for s in model.sampling}
    assert by_kind == {"plan": 0.0, "reflect": 0.0, "action": 0.9}


def test_a_proposal_after_a_refusal_at_the_same_step_is_sampled(env):
    model = ScriptedModel({"action": [ON_2, ON_4]})
    planner, ctx = VLMPlanner(model, mode=PlannerMode.SINGLE, sample_temperature=0.7), _ctx(env)
    planner.reset(ctx)
    assert planner.propose(ctx).action == 'switch_on(lamp="lamp_2")'
    fb = Feedback(source=FeedbackSource.CRITIC, message="lamp_2 is not in the goal", step=0)
    ctx.feedback.append(fb)
    planner.feedback(fb, ctx)
    assert planner.propose(ctx).action == 'switch_on(lamp="lamp_4")'  # same step, candidate 0 again
    ctx.step += 1
    planner.propose(ctx)
    assert [s["temperature"] for s in model.sampling] == [0.0, 0.7, 0.0]


def test_a_plan_without_a_next_action_asks_for_one_under_the_reflected_plan(env):
    no_action = {"phase": "explore", "subgoals": ["find the lamps"], "steps": ["look()"], "rationale": "r"}
    model = ScriptedModel({"plan": [no_action], "reflect": [_reflect()], "action": [ON_2]})
    planner, ctx = VLMPlanner(model), _ctx(env)
    planner.reset(ctx)
    proposal = planner.propose(ctx)
    assert proposal.action == 'switch_on(lamp="lamp_2")'
    assert "no next action was proposed" in proposal.reflected.reflection
    assert "CURRENT PLAN (complete, made at step 1; [x] done since):\n- [ ] look()" in model.asked["action"][0]


def test_unusable_critic_reply_passes_reversible_and_stops_irreversible(env):
    model = ScriptedModel(fallback=lambda kind, prompt: "not json")
    critic, ctx = VLMCritic(model), _ctx(env)
    reversible = critic.review(SKILLS.bind('switch_on(lamp="lamp_1")'), ctx)
    assert reversible.ok and reversible.source is VerdictSource.ERROR and not reversible.judged
    irreversible = critic.review(SKILLS.bind("break_all()"), ctx)
    assert not irreversible.ok and irreversible.source is VerdictSource.RULE and irreversible.suggestion
    assert len(ctx.model_calls) == 4 and all(c.error for c in ctx.model_calls)


def test_validator_sees_the_env_error_and_an_unusable_reply_defers_to_the_rules(env):
    model = ScriptedModel(fallback=lambda kind, prompt: "" if kind in ("validator", "retry") else "{}")
    before = _ctx(env)
    bound = SKILLS.bind('switch_on(lamp="lamp_1")')
    obs, _, _, _, info = env.step('switch_on(lamp="lamp_9")')
    after = Context.of("agentloop/toy.switches", obs, info, SKILLS, step=1)
    v = VLMValidator(model).check(bound, before, after)
    assert v.source is VerdictSource.ERROR and v.ok and "unusable" in v.reason
    assert "THE ENVIRONMENT REPORTED: no_element: there is no lamp_9" in model.asked["validator"][0]

    obs, _, _, _, info = env.step(bound.call)
    after = Context.of("agentloop/toy.switches", obs, info, SKILLS, step=1)
    chained = ChainedValidator(EffectValidator(), VLMValidator(model)).check(bound, before, after)
    assert chained.ok and chained.source is VerdictSource.RULE and "model gave no judgement" in chained.reason


def test_single_call_mode_asks_one_action_call_per_proposal(env):
    model = ScriptedModel({"action": [ON_2, ON_4]})
    planner, ctx = VLMPlanner(model, mode=PlannerMode.SINGLE), _ctx(env)
    planner.reset(ctx)
    first = planner.propose(ctx)
    assert first.plan is None and first.action == 'switch_on(lamp="lamp_2")'
    fb = Feedback(source=FeedbackSource.CRITIC, message="not that one", step=0)
    ctx.feedback.append(fb)
    planner.feedback(fb, ctx)
    second = planner.propose(ctx)  # feedback brings no plan in single-call mode, only a new prompt
    assert second.plan is None and second.action == 'switch_on(lamp="lamp_4")'
    assert [c.role for c in ctx.model_calls] == ["action"] * 2
    assert [c.candidate for c in ctx.model_calls] == [0, 1]  # which of the step's candidates each made
    assert "CURRENT PLAN" not in model.asked["action"][0] and "[critic, step 1] not that one" in model.asked["action"][1]


def test_calls_through_a_server_are_recorded_token_exact_and_grounded(env):
    with OpenAIServerDouble() as server:
        model = OpenAIModel("double-vlm", base_url=server.base_url, backoff_s=0.01)
        try:
            planner, ctx = VLMPlanner(model, mode=PlannerMode.SINGLE), _ctx(env)
            planner.reset(ctx)
            planner.propose(ctx)
        finally:
            model.close()
    call = ctx.model_calls[-1]
    assert call.prompt_token_ids and call.completion_token_ids
    assert len(call.token_logprobs) == len(call.completion_token_ids)
    assert call.sampling == {"temperature": 0.0, "max_tokens": 512} and call.model_id == "double-vlm"
    assert call.prompt_version == prompt_version() and call.attempt == 0
    # The schema the server decodes against names only the listed skills and the lamps in view.
    variants = server.requests[-1]["response_format"]["json_schema"]["schema"]["anyOf"]
    assert [v["properties"]["skill"]["const"] for v in variants] == [s.name for s in SKILLS]
    lamp = variants[0]["properties"]["args"]["properties"]["lamp"]
    assert lamp == {"enum": [f"lamp_{i}" for i in range(5)]}


def test_sampled_draws_are_seeded_from_the_episode_so_a_rerun_repeats_them():
    from agentloop.loop import EpisodeSpec, LoopLimits, run_episode
    from agentloop.roles import Roles
    from agentloop.roles.critic import PreconditionCritic
    from agentloop.testing import MemorySink

    def seeds(rollout: int) -> tuple[list[object], list[object]]:
        model = ScriptedModel(fallback=lambda kind, prompt: ON_2)
        roles = Roles(planner=VLMPlanner(model, mode=PlannerMode.SINGLE), critic=PreconditionCritic(),
                      validator=EffectValidator())
        sink = MemorySink()
        with SwitchesEnv() as env:
            run_episode(env, EpisodeSpec("agentloop/toy.switches", seed=3, rollout=rollout), roles,
                        LoopLimits(max_steps=2, candidates=3), sink)
        recorded = [c.sampling.get("seed") for s in sink.steps for c in s.model_calls]
        return [s.get("seed") for s in model.sampling], recorded

    first, recorded = seeds(0)
    again, _ = seeds(0)
    other, _ = seeds(1)
    # Per step: the greedy candidate carries no seed, the two sampled ones each their own.
    assert first[0] is None and first[1] != first[2] and None not in first[1:3]
    assert first == again and recorded == first  # a rerun draws alike; the record says the seeds
    assert other[1:3] != first[1:3]  # another rollout of the same task seed draws otherwise
