"""One WebSocket session: its own env, driven by OpenEnv's messages.

A message is answered with an observation, the state, or an error that names what was wrong
(OpenEnv's error codes); a malformed message never ends the session. The env's work runs on
the session's lane; the server's event loop only parses and sends.
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Any

from openenv.core.env_server.serialization import serialize_observation
from openenv.core.env_server.types import (
    WSErrorCode,
    WSErrorResponse,
    WSObservationResponse,
    WSResetMessage,
    WSStateResponse,
    WSStepMessage,
)
from pydantic import BaseModel, ValidationError

from agentloop.errors import AgentLoopError, validation_problems
from agentloop.integrations.recorder import RolloutRecorder
from agentloop.integrations.session import Session, Turn
from agentloop.records import RunConfig
from agentloop.serve.lanes import Lane
from agentloop.serve.protocol import ResetParams, SessionState, SkillAction, observation_of

# WSObservationResponse, WSStateResponse or WSErrorResponse (openenv-core ships no type hints)
Reply = BaseModel


class MessageType(str, Enum):
    """The message types a client sends (OpenEnv's `type` field)."""

    RESET = "reset"
    STEP = "step"
    STATE = "state"
    FINISH = "finish"  # agentloop's own: end the episode now (as truncated) and answer the state
    CLOSE = "close"


def error(code: WSErrorCode, message: str, **details: Any) -> Reply:
    """An error answer: OpenEnv's code and a message that says what to do."""
    return WSErrorResponse(data={"message": message, "code": code, **details})


class ServedSession:
    """A client's session: its `Session` (made at the first reset, its env on its lane) and
    its last turn."""

    def __init__(self, config: RunConfig, lane: Lane, recorder: RolloutRecorder | None, frames: bool) -> None:
        self.config, self.lane, self.recorder, self.frames = config, lane, recorder, frames
        self._session: Session | None = None
        self._turn: Turn | None = None

    async def handle(self, raw: str | bytes) -> Reply | None:
        """The reply to one message; None for `close` (the client ends the session)."""
        try:
            message = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            return error(WSErrorCode.INVALID_JSON, f"invalid JSON: {e}")
        kinds = ", ".join(k.value for k in MessageType)
        try:
            kind = MessageType(message.get("type") if isinstance(message, dict) else None)
        except ValueError:
            return error(WSErrorCode.UNKNOWN_TYPE, f"a message needs a type: one of {kinds}")
        try:
            if kind is MessageType.RESET:
                return await self._reset(WSResetMessage.model_validate(message).data)
            if kind is MessageType.STEP:
                return await self._step(WSStepMessage.model_validate(message).data)
            if kind is MessageType.FINISH and self._session is not None:
                session = self._session
                await self.lane.run(session.finish)
            if kind in (MessageType.STATE, MessageType.FINISH):
                return WSStateResponse(data=self.state().model_dump(mode="json"))
            return None
        except ValidationError as e:
            problem = validation_problems(e, root="message")
            return error(WSErrorCode.VALIDATION_ERROR, f"invalid {kind.value} message: {problem}",
                         errors=json.loads(e.json(include_url=False)))
        except AgentLoopError as e:
            return error(WSErrorCode.EXECUTION_ERROR, str(e))
        except Exception as e:  # whatever one call did wrong, the session and its env stay
            return error(WSErrorCode.EXECUTION_ERROR, f"{kind.value} failed: {e!r}")

    def state(self) -> SessionState:
        """OpenEnv's state of the session's episode."""
        session, turn = self._session, self._turn
        spec = session.spec if session is not None else None
        ended = turn.episode if turn is not None and turn.episode is not None else None
        return SessionState(
            episode_id=spec.episode_id if spec else None, step_count=len(session.steps) if session else 0,
            env_id=spec.env_id if spec else self.config.env_id, seed=spec.seed if spec else None,
            done=ended is not None, outcome=ended.outcome if ended is not None else None,
            episode=session.record if session is not None else None,
        )

    async def close(self) -> None:
        """Land a running episode and close the env, on the lane that made it."""
        if self._session is not None:
            await self.lane.run(self._session.close)

    async def _reset(self, data: dict[str, Any]) -> Reply:
        params = ResetParams.model_validate(data)
        if self._session is None:  # made on the lane: a model critic may load its weights here
            self._session = await self.lane.run(lambda: Session(self.config, self.recorder, policy="openenv"))
        session = self._session
        self._turn = await self.lane.run(lambda: session.reset(params.seed, params.task))
        return await self._observe(self._turn, session)

    async def _step(self, data: dict[str, Any]) -> Reply:
        action = SkillAction.model_validate(data)
        session = self._session
        if session is None or self._turn is None:
            return error(WSErrorCode.EXECUTION_ERROR, "no episode yet: send a reset first")
        self._turn = await self.lane.run(lambda: session.act(action.action))
        return await self._observe(self._turn, session)

    async def _observe(self, turn: Turn, session: Session) -> Reply:
        obs = await self.lane.run(lambda: observation_of(turn, len(session.steps), self.frames, session.spec))
        return WSObservationResponse(data=serialize_observation(obs))
