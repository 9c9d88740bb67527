"""A pydantic validation error told as one line, as the command line, the model backends and
the OpenEnv server each tell it."""

import pytest
from pydantic import BaseModel, ValidationError, field_validator, model_validator

from agentloop.errors import validation_problems


class Reply(BaseModel):
    """A small model with a field check and a whole-value check."""

    skill: str
    count: int = 0

    @field_validator("count")
    @classmethod
    def _small(cls, v: int) -> int:
        if v > 3:
            raise ValueError("at most 3")
        return v

    @model_validator(mode="after")
    def _named(self) -> "Reply":
        if self.skill == "":
            raise ValueError("a skill needs a name")
        return self


def _error(data: object) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        Reply.model_validate(data)
    return caught.value


def test_each_problem_is_where_and_what_on_one_line():
    told = validation_problems(_error({"skill": 1, "count": 9}))
    assert told == "skill: Input should be a valid string; count: at most 3"


def test_a_problem_of_the_whole_value_is_named_or_told_alone():
    error = _error({"skill": ""})
    assert validation_problems(error) == "a skill needs a name"
    assert validation_problems(error, root="<root>") == "<root>: a skill needs a name"


def test_only_the_first_problems_when_limited():
    error = _error({"skill": 1, "count": 9})
    assert validation_problems(error, limit=1) == "skill: Input should be a valid string"
