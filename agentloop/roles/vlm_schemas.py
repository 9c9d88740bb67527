"""The JSON shapes the model-based roles ask their model for."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ActionChoice(BaseModel):
    skill: str = Field(description="a skill name from the list")
    args: dict[str, Any] = Field(default_factory=dict)


class PlanReply(BaseModel):
    phase: Literal["explore", "complete", "done"] = "complete"
    subgoals: list[str] = Field(default_factory=list)
    steps: list[str] = Field(default_factory=list)
    rationale: str = ""
    next_action: ActionChoice | None = None


class ReflectReply(BaseModel):
    ok: bool = True
    problems: list[str] = Field(default_factory=list)
    phase: Literal["explore", "complete", "done"] = "complete"
    subgoals: list[str] = Field(default_factory=list)
    steps: list[str] = Field(default_factory=list)
    next_action: ActionChoice | None = None


class CriticReply(BaseModel):
    predicted_outcome: str = ""
    accept: bool
    score: float = Field(ge=0.0, le=1.0)
    reason: str = ""
    suggestion: str | None = None


class ValidatorReply(BaseModel):
    ok: bool
    reason: str = ""
