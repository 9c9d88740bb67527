"""Which apps `open_app` takes, and how a question is answered, against the ADB server double:
the env reads the device's packages on reset, and the prompt's skill line and the grounded
reply schema name exactly the apps the phone has; a question task is answered with the loop's
`finish(status="done", answer=...)` and the env judges that claim on the device's own state
(`judge_claim`); the vocabulary has no answer skill of its own."""

from __future__ import annotations

import jsonschema
import pytest

from agentloop.context import Context
from agentloop.envs.android import commands as C
from agentloop.envs.android.env import AndroidEnv
from agentloop.envs.android.planner import AndroidPlanner
from agentloop.envs.android.tasks import TASKS
from agentloop.loop import EpisodeSpec, LoopLimits, run_episode
from agentloop.perception import perception_of
from agentloop.prompts.messages import single_messages
from agentloop.prompts.schemas import ActionChoice, grounded
from agentloop.records import Claim
from agentloop.roles import EffectValidator, FunctionPlanner, PreconditionCritic, Roles
from agentloop.skills.android import SKILLS
from agentloop.skillset import FinishStatus
from agentloop.testing import MemorySink

ON_THE_DOUBLE = ["settings", "clock", "contacts"]  # the apps the double's phone has, in APPS' order


def make(adb_double, task: str = "wifi_on") -> AndroidEnv:
    return AndroidEnv(task=task, adb_port=adb_double.port, settle_s=0.0)


def test_the_device_lists_its_packages_over_the_real_protocol(adb_double):
    env = make(adb_double)
    env.reset(seed=0)
    packages = env._dev.packages()
    env.close()
    assert C.APPS["settings"] in packages and C.APPS["files"] not in packages
    assert C.list_packages() in adb_double.phone.log
    assert C.app_names(packages) == ON_THE_DOUBLE


def test_the_prompt_and_the_grounded_schema_name_the_apps_the_device_has(adb_double):
    env = make(adb_double)
    obs, info = env.reset(seed=0)
    env.close()
    p = perception_of(info)
    ctx = Context.of("agentloop/android.wifi_on", obs, info, SKILLS, step=0, max_steps=8)
    prompt = single_messages(ctx, [], images=False)[-1].text()
    line = next(x for x in prompt.splitlines() if x.startswith("- open_app("))
    assert line.startswith('- open_app(app_name: "settings"|"clock"|"contacts") - Open one of the device\'s apps'), line
    assert "files" not in line  # the double's phone has no Files app
    schema = grounded(ActionChoice, p.skills, p.scene_graph).model_json_schema()
    jsonschema.validate({"skill": "open_app", "args": {"app_name": "clock"}}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"skill": "open_app", "args": {"app_name": "files"}}, schema)
    assert "answer" not in SKILLS and "finish" in SKILLS


def test_an_app_the_device_lacks_is_refused_naming_the_ones_it_has(adb_double):
    env = make(adb_double)
    env.reset(seed=0)
    _, _, _, _, info = env.step("open_app(app_name='Files')")
    env.close()
    failure = perception_of(info).action_error
    assert failure is not None and "it has: settings, clock, contacts" in failure.message


def test_a_question_is_answered_with_finish_and_judged_on_the_device(adb_double):
    """The scripted planner reads the Wi-Fi switch and finishes with its answer: success is the
    env's verdict on that claim, recorded as the claim's validator verdict."""
    task = TASKS["wifi_state"]
    env = make(adb_double, "wifi_state")
    sink = MemorySink()
    roles = Roles(planner=AndroidPlanner(), critic=PreconditionCritic(), validator=EffectValidator())
    result = run_episode(env, EpisodeSpec("agentloop/android.wifi_state", 0), roles,
                         LoopLimits(max_steps=task.max_steps), sink)
    env.close()
    assert result.record.success, [(str(s.action), s.action_error) for s in sink.steps]
    assert result.record.claim is not None and result.record.claim.answer == "off"
    last = sink.steps[-1]
    assert str(last.action) == 'finish(status="done", answer="off")'
    assert last.validator is not None and last.validator.ok and "env judges the claim" in last.validator.reason


@pytest.mark.parametrize(("status", "answer", "right"), [
    (FinishStatus.DONE, "It is off.", True), (FinishStatus.DONE, "on", False),
    (FinishStatus.DONE, "on or off", False), (FinishStatus.INFEASIBLE, "", False),
])
def test_the_env_judges_a_claim_against_the_setting(adb_double, status, answer, right):
    env = make(adb_double, "wifi_state")
    env.reset(seed=0)
    verdict = env.judge_claim(Claim(status=status, answer=answer, step=0))
    env.close()
    assert verdict is not None and verdict.success is right and verdict.terminated


def test_a_wrong_answer_fails_the_episode_through_the_loop(adb_double):
    env = make(adb_double, "wifi_state")
    roles = Roles(FunctionPlanner(lambda ctx: 'finish(status="done", answer="on")'), PreconditionCritic(),
                  EffectValidator())
    result = run_episode(env, EpisodeSpec("agentloop/android.wifi_state", 0), roles, LoopLimits(max_steps=3))
    env.close()
    assert not result.record.success and result.record.steps == 1


def test_a_task_that_asks_nothing_leaves_the_outcome_to_its_device_check(adb_double):
    env = make(adb_double, "wifi_on")
    env.reset(seed=0)
    assert env.judge_claim(Claim(status=FinishStatus.DONE, answer="", step=0)) is None
    env.close()
