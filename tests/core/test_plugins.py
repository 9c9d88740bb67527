"""One place reads what an env's class declares (its skill set, its scripted planner) without
making the env, and one reads a model backend's optional capabilities."""

import pytest

from agentloop import registry
from agentloop.adapter import PassThroughSkillSet
from agentloop.errors import ModelUnreachable
from agentloop.exports.replay import Vocabulary
from agentloop.integrations.tools import skillset_of
from agentloop.models.base import accepts_images, check_model, trained_for
from agentloop.models.types import Completion
from agentloop.testing.switches import SKILLS, SwitchesEnv

TOY = "agentloop/toy.switches"


def test_an_env_class_says_its_skills_and_planner_without_being_made(monkeypatch):
    def no_env(*args, **kwargs):
        raise AssertionError("the env was made")

    monkeypatch.setattr(registry.gym, "make", no_env)
    declared = registry.env_class("toy.switches")
    assert declared.env_id == TOY and declared.entry is SwitchesEnv and declared.skillset is SKILLS
    assert declared.scripted_planner == "agentloop.testing.switches:SwitchesPlanner"
    assert skillset_of(TOY) is SKILLS and Vocabulary.of(TOY).skillset is SKILLS


def test_a_made_env_names_the_same_planner_as_its_class():
    env = registry.make(TOY)
    try:
        assert registry.scripted_planner(env) == registry.env_class(TOY).scripted_planner
    finally:
        env.close()


def test_a_plain_gymnasium_env_declares_nothing():
    declared = registry.env_class("CartPole-v1")
    assert declared.skillset is None and declared.scripted_planner is None
    assert isinstance(Vocabulary.of("CartPole-v1").skillset, PassThroughSkillSet)


class _Bare:
    name = "bare"

    def complete(self, messages, schema=None, **sampling):
        return Completion(text="{}", model=self.name)


class _Said(_Bare):
    accepts_images = False
    trained_for = None

    def check(self):
        raise ModelUnreachable("nobody there")


def test_a_backends_optional_capabilities_have_defaults_where_it_says_nothing():
    assert accepts_images(_Bare()) and trained_for(_Bare()) is None
    check_model(_Bare())  # no check(): taken as reachable
    assert not accepts_images(_Said())
    with pytest.raises(ModelUnreachable, match="nobody there"):
        check_model(_Said())
