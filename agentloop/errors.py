"""The package's own error types. Public entry points turn foreign failures into these with
`raise ... from`, so callers catch one family and still see the cause."""

from __future__ import annotations


class AgentLoopError(Exception):
    """Base of every error agentloop raises on purpose."""


class ConfigError(AgentLoopError):
    """A user mistake in configuration or on the command line; shown as one line."""


class EnvNotFound(ConfigError):
    """An environment id that no registry knows."""


class ActionError(AgentLoopError):
    """An action that could not be parsed or grounded. Never raised out of `env.step()`:
    the env reports it in `info["action_error"]` and leaves the world unchanged.

    `kind` is a short machine-readable tag (parse, unknown_skill, bad_argument, no_element,
    not_visible, covered, not_editable, navigation_blocked, timeout, precondition, ...).
    """

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


class EnvCrashed(AgentLoopError):
    """The environment itself failed (browser gone, simulator unstable): ends the episode."""


class ModelError(AgentLoopError):
    """A model backend failed after its retries (transport, timeout, refusal)."""

