import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentloop.calls import SkillCall
from agentloop.errors import ActionError
from agentloop.testing.switches import SKILLS

names = st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True).filter(
    lambda s: s not in {"None", "True", "False"} and not __import__("keyword").iskeyword(s)
)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**9, 10**9),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=30),
)
values = st.recursive(scalars, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3), max_leaves=6)


@given(name=names, args=st.dictionaries(names, values, max_size=4))
def test_text_round_trip(name, args):
    call = SkillCall(name=name, args=args)
    assert SkillCall.parse(str(call)) == call


@given(name=names, args=st.dictionaries(names, values, max_size=4))
def test_json_round_trip(name, args):
    call = SkillCall(name=name, args=args)
    assert SkillCall.parse(json.dumps({"name": name, "args": args})) == call
    assert SkillCall.parse({"skill": name, "arguments": json.dumps(args)}) == call


@given(st.text(max_size=60))
def test_arbitrary_text_parses_or_raises_action_error(text):
    try:
        call = SkillCall.parse(text)
    except ActionError as e:
        assert e.kind == "parse" and e.message
    else:
        assert call.name


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty action"),
        ("pick(", "cannot parse"),
        ("a.b(x=1)", "expected a single call"),
        ("pick(object=__import__('os'))", "must be literals"),
        ("pick(**d)", "**kwargs"),
        ("pick(x=1, x=2)", "given twice"),
        ('{"args": {}}', "needs a string field 'name'"),
        ('{"name": "pick", "args": [1]}', "'args' must be an object"),
        ("[1, 2]", "must be an object"),
        ('{"name": ', "invalid JSON"),
        ("pick(1, 2)", "positional argument 1"),
    ],
)
def test_precise_parse_errors(text, fragment):
    with pytest.raises(ActionError) as e:
        SkillCall.parse(text)
    assert fragment in e.value.message


def test_fenced_and_shorthand_forms():
    assert SkillCall.parse("```\nswitch_on(lamp='lamp_1')\n```") == SkillCall(name="switch_on", args={"lamp": "lamp_1"})
    assert SkillCall.parse("switch_on(lamp=lamp_1)").args == {"lamp": "lamp_1"}
    assert SkillCall.parse("wait") == SkillCall(name="wait")


def test_binding_against_a_vocabulary():
    bound = SKILLS.bind("switch_on('lamp_2')")  # positional arg bound by schema order
    assert bound.call == SkillCall(name="switch_on", args={"lamp": "lamp_2"})
    with pytest.raises(ActionError) as e:
        SKILLS.bind("swich_on(lamp='lamp_2')")
    assert e.value.kind == "unknown_skill" and "did you mean 'switch_on'" in e.value.message
    with pytest.raises(ActionError) as e:
        SKILLS.bind("switch_on(lamp=3)")
    assert e.value.kind == "bad_argument" and "lamp" in e.value.message
    with pytest.raises(ActionError) as e:
        SKILLS.bind("switch_on(lamp='lamp_1', colour='red')")
    assert e.value.kind == "bad_argument" and "colour" in e.value.message


def test_specs_describe_skills():
    specs = {s.name: s for s in SKILLS.specs()}
    assert specs["switch_on"].signature() == "switch_on(lamp: string)"
    assert specs["switch_on"].description == "Switch a lamp on."
    assert specs["break_all"].irreversible and not specs["wait"].irreversible
