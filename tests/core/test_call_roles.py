"""A model call's role is recorded by a value that is its name; records written when the
planner's calls were `planner` and `planner.action` still read, as the same roles."""

import pytest
from pydantic import ValidationError

from agentloop.records import CallRole, ModelCallRecord


@pytest.mark.parametrize("role", list(CallRole))
def test_a_role_is_written_as_its_name(role):
    assert role.value == role.name.lower()
    written = ModelCallRecord(role=role, model="function:x").model_dump_json()
    assert ModelCallRecord.model_validate_json(written).role is role


@pytest.mark.parametrize(("old", "role"), [("planner", CallRole.PLAN), ("planner.action", CallRole.ACTION)])
def test_a_record_with_an_old_role_value_reads_as_that_role(old, role):
    call = ModelCallRecord.model_validate_json(f'{{"role": "{old}", "model": "function:x"}}')
    assert call.role is role and CallRole(old) is role
    assert call.model_dump(mode="json")["role"] == role.value


def test_a_role_that_never_was_is_refused():
    with pytest.raises(ValidationError):
        ModelCallRecord.model_validate({"role": "planner.plan", "model": "function:x"})
    with pytest.raises(ValueError):
        CallRole("judge")
