"""Backends by spec string: `function:` specs for a reply function or a model class, and the
errors a wrong spec gives."""

from __future__ import annotations

import json

import pytest

from agentloop.errors import ConfigError
from agentloop.models import FunctionModel, Message, ModelPool, from_spec
from agentloop.prompts.schemas import ValidatorReply
from agentloop.testing.models import TestModel

NOT_A_MODEL = 42


def reply(messages, schema, sampling) -> str:
    return json.dumps({"ok": True, "reason": f"t={sampling.get('temperature')}"})


def test_function_spec_wraps_a_reply_function_and_parses_like_a_backend():
    model = from_spec("function:tests.models.test_specs:reply")
    assert isinstance(model, FunctionModel) and model.name == "function:tests.models.test_specs:reply"
    c = model.complete([Message(role="user", content="did it work?")], ValidatorReply, temperature=0.5)
    assert c.parsed == ValidatorReply(ok=True, reason="t=0.5") and c.usage.prompt_tokens == 3


def test_function_spec_builds_a_model_class():
    with ModelPool() as pool:
        model = pool.get("function:agentloop.testing.models:TestModel")
        assert isinstance(model, TestModel) and pool.get("function:agentloop.testing.models:TestModel") is model


@pytest.mark.parametrize("spec, message", [
    ("gpt-4o", "expected openai:NAME"),
    ("openai:", "expected openai:NAME"),
    ("vllm:some-model", "unknown model backend 'vllm'"),
    ("function:tests.models.test_specs:NOT_A_MODEL", "neither a reply function nor a model"),
    ("function:tests.models.no_such_module:reply", "cannot import"),
])
def test_wrong_specs_are_config_errors(spec, message):
    with pytest.raises(ConfigError, match=message):
        from_spec(spec)


def test_a_run_checks_every_model_it_names_before_it_starts(tmp_path):
    from agentloop.errors import ModelUnreachable
    from agentloop.records import RunConfig
    from agentloop.roles.factory import check_models

    check_models(RunConfig(env_id="agentloop/toy.switches", model="function:agentloop.testing.models:TestModel"))
    with pytest.raises(ModelUnreachable, match="no model there"):
        check_models(RunConfig(env_id="agentloop/toy.switches", critic=f"rule+prm:{tmp_path / 'missing'}"))
    with pytest.raises(ValueError, match="prm:PATH"):
        RunConfig(env_id="agentloop/toy.switches", critic="learned")
