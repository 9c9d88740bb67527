"""What `agentloop serve` serves, as one pydantic model: the command line's options are made
from its fields. It imports nothing of the web stack, so the command line starts without it."""

from __future__ import annotations

from pydantic import Field, SecretStr

from agentloop.integrations.options import LoopOptions


class ServeConfig(LoopOptions):
    """What `agentloop serve` serves: the env, the loop's options, and the server's limits."""

    env_id: str = Field(description="environment id, e.g. agentloop/robot.pick-place")
    max_sessions: int = Field(default=16, ge=1, description="sessions at once; one more is refused with 503")
    threads: int | None = Field(default=None, ge=1, description="threads the envs run on (default: up to 4)")
    token: SecretStr | None = Field(
        default=None, description="bearer token every connection must present (needed to bind beyond "
        "loopback); prefer the environment variable, which no process list shows")
