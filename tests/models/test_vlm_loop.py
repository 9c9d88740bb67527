"""The closed loop on the MuJoCo robot env with model roles driven by a scripted model that
makes specific mistakes: the critic catches them before they run, the validator forces a replan,
bad replies become recorded errors, a human correction reaches the next prompt."""

from __future__ import annotations

import json

import pytest

from agentloop import registry
from agentloop.loop import EpisodeSpec, LoopLimits, run_episode
from agentloop.records import FeedbackSource, Outcome, VerdictSource
from agentloop.roles import Roles
from agentloop.roles.critic import ChainedCritic, PreconditionCritic
from agentloop.roles.validator import ChainedValidator, EffectValidator
from agentloop.roles.vlm import VLMCritic, VLMPlanner, VLMValidator
from agentloop.testing import MemorySink
from agentloop.testing.models import ScriptedModel

ENV = "agentloop/robot.pick-place"  # seed 0: "put the blue cylinder in the grey tray"


def _plan(skill: str, **args) -> dict:
    return {"phase": "complete", "subgoals": ["put the blue cylinder in the grey tray"], "steps": [],
            "rationale": "scripted", "next_action": {"skill": skill, "args": args}}


def _keep(prompt: str) -> dict:
    return {"ok": True, "problems": [], "phase": "complete", "subgoals": [], "steps": []}


def _fallback(kind: str, prompt: str):
    if kind == "plan":
        return _plan("place", object="blue_cylinder", target="grey_tray")
    if kind == "reflect":
        return _keep(prompt)
    if kind == "critic":
        return {"predicted_outcome": "it works", "accept": True, "score": 0.8, "reason": "fine", "suggestion": None}
    if kind == "validator":
        return {"ok": True, "reason": "looks right"}
    raise AssertionError(f"unscripted {kind} prompt")


@pytest.fixture(scope="module")
def env():
    e = registry.make(ENV)
    yield e
    e.close()


def _roles(model) -> Roles:
    return Roles(
        planner=VLMPlanner(model),
        critic=ChainedCritic(PreconditionCritic(), VLMCritic(model)),
        validator=ChainedValidator(EffectValidator(), VLMValidator(model)),
    )


def _all_calls(steps) -> list:
    return [c for s in steps for c in s.model_calls]


def test_critic_catches_mistake_and_validator_triggers_replan(env):
    model = ScriptedModel({
        # Mistake 1: place before picking. Then the right pick; then place after the replan.
        "plan": [_plan("place", object="blue_cylinder", target="grey_tray"),
                 _plan("pick", object="blue_cylinder"),
                 _plan("place", object="blue_cylinder", target="grey_tray")],
        # Mistake 2 is the world's: the model validator reports the grasp as failed once.
        "validator": [{"ok": False, "reason": "the blue cylinder is not in the gripper"}],
    }, fallback=_fallback)
    sink = MemorySink()
    result = run_episode(env, EpisodeSpec(ENV, seed=0), _roles(model), LoopLimits(max_steps=6), sink)
    rec, steps = result.record, sink.steps

    first = steps[0]
    assert first.candidates[0].text == 'place(object="blue_cylinder", target="grey_tray")'
    assert first.candidates[0].verdict.ok is False and not first.candidates[0].executed
    assert "does not hold" in first.candidates[0].verdict.reason
    assert first.candidates[1].executed and first.action_text == 'pick(object="blue_cylinder")'
    assert first.critic.source is VerdictSource.VLM and first.critic.predicted_outcome == "it works"
    assert first.validator.ok is False and first.replanned
    # The rule check found the unmet precondition before the critic: it was in the reflect prompt.
    assert "precondition of place" in model.asked["reflect"][0]
    # Feedback reached the planner's next prompts.
    assert "[critic, step 1] " in model.asked["plan"][1] and "does not hold" in model.asked["plan"][1]
    assert "[validator, step 1] the blue cylinder is not in the gripper" in model.asked["plan"][2]
    assert "FeedbackSource" not in "".join(model.asked["plan"])
    # The step keeps its last plan; the pick the rules find sound was not reflected on.
    assert first.plan is not None and first.plan_reflected is None
    assert steps[1].plan.steps[0] == 'place(object="blue_cylinder", target="grey_tray")'
    assert rec.success and rec.critic_rejections == 1 and rec.validator_failures == 1 and rec.replans == 1
    assert rec.critic_agreement.rejected == 1 and rec.critic_agreement.accepted_failed == 1
    # Every model call is in the step records, with images as references only.
    calls = _all_calls(steps)
    assert len(calls) == len(model.calls)
    assert {c.role for c in calls} >= {"plan", "reflect", "critic", "validator"}
    dumped = json.dumps([c.model_dump(mode="json") for c in calls])
    assert "base64" not in dumped and '"ref": "frame:step0"' in dumped
    assert all(c.latency_s >= 0 and c.prompt_tokens for c in calls)


def test_bad_replies_are_recorded_and_retried(env):
    model = ScriptedModel({
        "plan": ["I think we should pick it up",                          # not JSON
                 json.dumps(_plan("grab", object="blue_cylinder")),       # unknown skill
                 json.dumps(_plan("pick", object=7)),                     # wrong argument type
                 ""] * 2,                                                 # empty
    }, fallback=lambda kind, prompt: {"skill": "pick", "args": {"object": "blue_cylinder"}} if kind == "action" else _fallback(kind, prompt))
    sink = MemorySink()
    result = run_episode(env, EpisodeSpec(ENV, seed=0), _roles(model), LoopLimits(max_steps=2), sink)
    errors = [c.error for c in _all_calls(sink.steps) if c.role == "plan"]
    assert errors[0] and "not JSON" in errors[0]
    assert "unknown_skill" in errors[1] or "grab" in errors[1]
    assert "object" in errors[2]
    # The retry prompt fed each error back to the model.
    assert "could not be used" in model.asked["retry"][0] and "not JSON" in model.asked["retry"][0]
    # The plan stayed unusable after its bounded retries: recorded on the plan, not a crash.
    assert "no usable plan" in sink.steps[0].plan.rationale
    assert result.record.outcome is not Outcome.ERROR


def test_unusable_action_becomes_action_error_step(env):
    model = ScriptedModel({"plan": ["nope"] * 3, "action": ["still nope"] * 3}, fallback=_fallback)
    sink = MemorySink()
    result = run_episode(env, EpisodeSpec(ENV, seed=0), _roles(model), LoopLimits(max_steps=1), sink)
    step = sink.steps[0]
    assert step.action is None and step.action_error
    assert any(f.source is FeedbackSource.ACTION_ERROR for f in step.feedback)
    assert result.record.action_errors == 1 and not result.record.success


def test_human_correction_reaches_next_prompt(env):
    said = []

    def human(ctx):
        if ctx.step == 1 and not said:
            said.append(ctx.step)
            return "the cylinder on the right, the blue one"
        return None

    model = ScriptedModel({
        "plan": [_plan("pick", object="blue_cylinder"), _plan("place", object="blue_cylinder", target="grey_tray")],
        "action": [{"skill": "place", "args": {"object": "blue_cylinder", "target": "grey_tray"}}],
    }, fallback=_fallback)
    sink = MemorySink()
    run_episode(env, EpisodeSpec(ENV, seed=0), _roles(model), LoopLimits(max_steps=3), sink, human=human)
    assert sink.steps[1].human_feedback == "the cylinder on the right, the blue one"
    later = [p for k in ("plan", "action") for p in model.asked.get(k, [])]
    assert any("[human correction - follow it, step 2] the cylinder on the right" in p for p in later)


def test_best_of_n_samples_distinct_candidates(env):
    model = ScriptedModel({
        "plan": [_plan("pick", object="banana")],
        "action": [{"skill": "pick", "args": {"object": "blue_cylinder"}}],
        "critic": [{"predicted_outcome": "wrong object", "accept": True, "score": 0.2, "reason": "not the goal object", "suggestion": "pick blue_cylinder"},
                   {"predicted_outcome": "grasps it", "accept": True, "score": 0.9, "reason": "goal object", "suggestion": None}],
    }, fallback=_fallback)
    sink = MemorySink()
    run_episode(env, EpisodeSpec(ENV, seed=0), _roles(model), LoopLimits(max_steps=1, candidates=2), sink)
    step = sink.steps[0]
    assert [c.text for c in step.candidates] == ['pick(object="banana")', 'pick(object="blue_cylinder")']
    assert step.action_text == 'pick(object="blue_cylinder")' and step.candidates[1].executed
    action_temps = [s["temperature"] for s in model.sampling if s["kind"] == "action"]
    assert action_temps and all(t > 0 for t in action_temps)


def test_summary_shows_critic_accuracy(env):
    from agentloop.runner.summary import summarize, summary_table

    model = ScriptedModel({
        "plan": [_plan("pick", object="blue_cylinder"), _plan("place", object="blue_cylinder", target="grey_tray")],
        "validator": [{"ok": False, "reason": "the grasp slipped"}],
    }, fallback=_fallback)
    rec = run_episode(env, EpisodeSpec(ENV, seed=0), _roles(model), LoopLimits(max_steps=4)).record
    assert rec.critic_agreement.accepted_failed == 1 and rec.critic_agreement.accepted_passed >= 1
    (s,) = summarize([rec])
    ok = rec.critic_agreement.accepted_passed
    assert s.critic_accuracy == pytest.approx(ok / (ok + 1))
    assert "critic accuracy" in [c.header for c in summary_table([rec]).columns]
