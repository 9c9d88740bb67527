"""The JSON shapes the model-based roles ask their model for."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Phase = Literal["explore", "complete", "done"]


class ActionChoice(BaseModel):
    """One skill call as a model names it: the planner's next action."""

    skill: str = Field(description="a skill name from the list")
    args: dict[str, Any] = Field(default_factory=dict)  # JSON values, checked by the skill's own model


class PlanReply(BaseModel):
    """Stage one of the planner: phase, subgoals, upcoming calls and the next one."""

    phase: Phase = "complete"
    subgoals: list[str] = Field(default_factory=list)
    steps: list[str] = Field(default_factory=list)
    rationale: str = ""
    next_action: ActionChoice | None = None


class ReflectReply(BaseModel):
    """Stage two of the planner: the plan checked against the scene, fixed and committed."""

    ok: bool = True
    problems: list[str] = Field(default_factory=list)
    phase: Phase = "complete"
    subgoals: list[str] = Field(default_factory=list)
    steps: list[str] = Field(default_factory=list)
    next_action: ActionChoice | None = None


class CriticReply(BaseModel):
    """The critic's judgement of an action before it runs."""

    predicted_outcome: str = ""
    accept: bool
    score: float = Field(ge=0.0, le=1.0)
    reason: str = ""
    suggestion: str | None = None


class ValidatorReply(BaseModel):
    """The validator's finding after an action ran."""

    ok: bool
    reason: str = ""
