"""What `agentloop serve` serves, as one pydantic model: the command line's options are made
from its fields. It imports nothing of the web stack, so the command line starts without it."""

from __future__ import annotations

import os

from pydantic import Field, SecretStr

from agentloop.integrations.options import LoopOptions


class ServeConfig(LoopOptions):
    """What `agentloop serve` serves: the env, the loop's options, and the server's limits."""

    env_id: str = Field(description="environment id, e.g. agentloop/robot.pick-place")
    max_sessions: int = Field(default=16, ge=1, description="sessions at once; one more is refused with 503")
    workers: int | None = Field(default=None, ge=1, description="processes serving sessions behind the one port, "
                                "each session on one for its life (default: one per core)")
    threads: int | None = Field(default=None, ge=1, description="threads the envs run on, per worker (default: up to 4)")
    token: SecretStr | None = Field(
        default=None, description="bearer token every connection must present (needed to bind beyond "
        "loopback); prefer the environment variable, which no process list shows")

    def worker_count(self) -> int:
        """The worker processes: `workers`, else one per core."""
        return self.workers or os.cpu_count() or 1
