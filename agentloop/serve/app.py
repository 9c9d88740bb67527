"""The server: OpenEnv's endpoints over agentloop envs, one env per WebSocket session.

`/ws` is OpenEnv's session protocol (reset, step, state, close), so openenv-core's
`GenericEnvClient` works unchanged; `/health`, `/schema` and `/metadata` answer as OpenEnv's
servers do, and `/sessions` tells how full the server is. A handshake beyond
`--max-sessions` is refused at once with HTTP 503 (never left waiting); a session whose
client goes away lands its episode and frees its env.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from openenv.core.env_server.types import (
    EnvironmentMetadata,
    HealthResponse,
    HealthStatus,
    SchemaResponse,
    ServerCapacityStatus,
    WSErrorCode,
)
from starlette.websockets import WebSocketState

import agentloop
from agentloop import registry
from agentloop.integrations.recorder import RolloutRecorder
from agentloop.integrations.tools import skillset_of
from agentloop.records import RunConfig
from agentloop.serve.auth import TokenGate, deny
from agentloop.serve.config import ServeConfig
from agentloop.serve.lanes import Lanes
from agentloop.serve.protocol import SessionState, SkillAction, SkillObservation
from agentloop.serve.seats import SharedRecorder, SharedSeats
from agentloop.serve.sessions import ServedSession


class Server:
    """The served env's lanes, recorder and live sessions, and the FastAPI app over them."""

    def __init__(self, config: ServeConfig, shared: Path | None = None) -> None:
        self.config = config.model_copy(update={"env_id": registry.resolve(config.env_id)})
        self.run: RunConfig = self.config.run_config(self.config.env_id, "openenv")
        # One of several worker processes (`shared`): seats and rollout numbers are counted together.
        seats = SharedSeats(shared, self.config.max_sessions) if shared is not None else None
        self.recorder: RolloutRecorder | None = (
            SharedRecorder(self.config.record, self.run, self.config.record_frames, shared / "claims")
            if shared is not None and self.config.record is not None else self.config.recorder(self.run))
        self.lanes = Lanes(self.config.threads or min(self.config.max_sessions, 4), self.config.max_sessions, seats)
        self.live: set[ServedSession] = set()
        self.skills = skillset_of(self.config.env_id, self.config.env_kwargs)

    async def session(self, websocket: WebSocket) -> None:
        """Serve one WebSocket session to its end (the client's close or its disappearance)."""
        place = self.lanes.claim()
        if place is None:
            n = self.lanes.max_sessions
            await deny(websocket.scope, websocket.receive, websocket.send, 503,
                       f"server at capacity: {n}/{n} sessions; try again when one ends",
                       code=WSErrorCode.CAPACITY_REACHED.value)
            return
        served = ServedSession(self.run, place.lane, self.recorder, self.config.frames)
        self.live.add(served)
        try:
            await websocket.accept()
            while (raw := await _receive(websocket)) is not None:
                reply = await served.handle(raw)
                if reply is None:
                    break
                await websocket.send_text(reply.model_dump_json())
        except (WebSocketDisconnect, OSError):
            pass  # the client went away mid-reply: its session ends here all the same
        finally:
            self.live.discard(served)
            try:
                await served.close()
            finally:
                self.lanes.release(place)
            if websocket.client_state is WebSocketState.CONNECTED:
                with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):  # closed meanwhile
                    await websocket.close()

    async def shutdown(self) -> None:
        for served in list(self.live):
            await served.close()
        self.lanes.close()
        if self.recorder is not None:
            self.recorder.close()

    def metadata(self) -> EnvironmentMetadata:
        return EnvironmentMetadata(
            name=self.config.env_id, version=agentloop.__version__, documentation_url=None,
            description=f"agentloop env {self.config.env_id}: send skill calls as {{'action': 'name(arg=value)'}}; "
                        f"each is judged by the {self.run.critic} critic before it runs and the "
                        f"{self.run.validator} validator after. Skills: "
                        + "; ".join(s.to_text() for s in self.skills.specs()),
        )


async def _receive(websocket: WebSocket) -> str | bytes | None:
    """The next message's payload, or None once the client has disconnected."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        return None
    text = message.get("text")
    return text if text is not None else message.get("bytes") or b""


def build_app(config: ServeConfig, shared: Path | None = None) -> FastAPI:
    """The FastAPI app serving `config.env_id` (run it with uvicorn, or `agentloop serve`);
    `shared` is the state folder of a server of several worker processes, where they count
    their sessions and number their rollouts together (default: this process is the server)."""
    server = Server(config, shared)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await server.shutdown()

    app = FastAPI(title=f"agentloop: {server.config.env_id}", version=agentloop.__version__, lifespan=lifespan)
    app.state.server = server
    _routes(app, server)
    if config.token is not None:
        app.add_middleware(TokenGate, token=config.token.get_secret_value())
    return app


def _routes(app: FastAPI, server: Server) -> None:
    @app.get("/health", response_model=HealthResponse)
    def health() -> HealthResponse:
        return HealthResponse(status=HealthStatus.HEALTHY)

    @app.get("/schema", response_model=SchemaResponse)
    def schema() -> SchemaResponse:
        return SchemaResponse(action=SkillAction.model_json_schema(), observation=SkillObservation.model_json_schema(),
                              state=SessionState.model_json_schema())

    @app.get("/metadata", response_model=EnvironmentMetadata)
    def metadata() -> EnvironmentMetadata:
        return server.metadata()

    @app.get("/sessions", response_model=ServerCapacityStatus)
    def sessions() -> ServerCapacityStatus:
        return ServerCapacityStatus.from_counts(server.lanes.active, server.lanes.max_sessions)

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await server.session(websocket)
