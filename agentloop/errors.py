"""The package's own error types. Public entry points turn foreign failures into these with
`raise ... from`, so callers catch one family and still see the cause."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import ValidationError


class AgentLoopError(Exception):
    """Base of every error agentloop raises on purpose."""


class ConfigError(AgentLoopError):
    """A user mistake in configuration or on the command line; shown as one line."""


class EnvNotFound(ConfigError):
    """An environment id that no registry knows."""


class ModelUnreachable(ConfigError):
    """The model a run names cannot be reached or loaded: one line naming where and the fix."""


class ErrorKind(str, Enum):
    """Why an action could not run: the machine-readable half of an `ActionError`, recorded
    on the step (`StepRecord.action_error_kind`) so that errors can be counted by kind."""

    PARSE = "parse"  # not a call like name(arg=value)
    UNKNOWN_SKILL = "unknown_skill"  # no skill of that name in the vocabulary
    BAD_ARGUMENT = "bad_argument"  # arguments fail the skill's argument model
    NO_ELEMENT = "no_element"  # the call names something that is not there
    NOT_VISIBLE = "not_visible"  # it is there but cannot be seen or reached
    COVERED = "covered"  # something else is on top of it
    MISSED = "missed"  # the action reached something other than its target (it did act)
    OFF_SCREEN = "off_screen"  # a point outside the viewport / screenshot
    NOT_EDITABLE = "not_editable"  # text typed into something that takes none
    NAVIGATION_BLOCKED = "navigation_blocked"  # a URL outside the task's sandbox
    NO_APP = "no_app"  # an app that is not installed
    PRECONDITION = "precondition"  # the world does not allow it now (the env's own check)
    TIMEOUT = "timeout"  # the action did not finish in its time bound
    BROWSER = "browser"  # the browser refused the action (a Playwright error)
    MODEL = "model"  # the model could not be reached or gave no usable reply


class ActionError(AgentLoopError):
    """An action that could not be parsed or grounded. Never raised out of `env.step()`:
    the env reports it in its `Perception.action_error` and leaves the world unchanged —
    unless `acted` says the action did reach the world before it failed (a click that landed
    on something other than its target): then the env observes the world anew."""

    def __init__(self, kind: ErrorKind | str, message: str, *, acted: bool = False):
        super().__init__(message)
        self.kind = ErrorKind(kind)  # a string that names no kind is a ValueError at once
        self.message = message
        self.acted = acted

    def __str__(self) -> str:
        return f"{self.kind.value}: {self.message}"


class EnvCrashed(AgentLoopError):
    """The environment itself failed (browser gone, simulator unstable): ends the episode."""


class ModelError(AgentLoopError):
    """A model backend failed after its retries (transport, timeout, refusal)."""


class RecordingError(AgentLoopError):
    """An episode could not be written to disk: a frame that cannot be encoded, a full disk,
    a run folder that is not writable. Raised by the episode writer when it lands the episode."""


class ReportError(AgentLoopError):
    """A report could not be built: an episode that cannot be read, an output folder that
    cannot be written."""


class Role(str, Enum):
    """The parts of the loop that a crash is charged to: each is plug-in code the loop calls."""

    PLANNER = "planner"
    CRITIC = "critic"
    VALIDATOR = "validator"
    SINK = "recorder"  # where the steps go: the run folder's writer, or a caller's sink
    HUMAN = "human input"
    LOOP = "loop"  # agentloop's own code: a bug here is ours, and still ends only its episode


class RoleCrashed(AgentLoopError):
    """Code in one of the loop's roles raised where it should have answered: the episode ends
    as `error`, with this one line as its reason and the cause's traceback in its record."""

    def __init__(self, role: Role, cause: BaseException):
        super().__init__(f"{role.value} crashed: {one_line(cause)}")
        self.role = role


def one_line(error: BaseException) -> str:
    """An exception as one line a person reads: its type and its message's first line (a
    browser's error carries pages of its logs after that)."""
    first = (str(error).strip().splitlines() or [""])[0]
    return type(error).__name__ + (f": {first}" if first else "")


def validation_problems(error: ValidationError, root: str = "", limit: int | None = None) -> str:
    """A pydantic validation error as one line, `where: what` for each problem (the first
    `limit` of them), without pydantic's "Value error, " prefix; a problem of the whole value
    is named `root`, or told alone where `root` is empty."""
    def one(e: Mapping[str, Any]) -> str:
        where = ".".join(map(str, e["loc"])) or root
        what = e["msg"].removeprefix("Value error, ")
        return f"{where}: {what}" if where else what

    return "; ".join(one(e) for e in error.errors()[:limit])
