"""The web face of `--model human:web`: a page on loopback showing each request, and the
endpoint behind it that a program can drive alike.

    GET  /              the page (polls the endpoint, shows text and images, sends replies)
    GET  /request       the open request as JSON, images inline as data URLs and as files;
                        204 when none is open; `?wait=S` waits up to S seconds for one
    POST /reply         {"id": N, "reply": {...} or "text"}: 200 {"accepted": true}, or 422
                        {"error": why, "request": the same request, attempt and error set}
"""

from __future__ import annotations

import base64
import sys
import threading
from importlib import resources
from pathlib import Path
from typing import Any

from agentloop.errors import ConfigError, ModelError
from agentloop.models.human_wire import HumanRequest, Validate, read_reply

MAX_WAIT_S = 60.0


class _Slot:
    """The one open request, its validator and its accepted reply, guarded by one condition."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.request: HumanRequest | None = None
        self.validate: Validate | None = None
        self.answer: str | None = None
        self.closed = False


class WebChannel:
    """Serves the page and the endpoint with uvicorn on a background thread."""

    def __init__(self, port: int):
        try:
            import uvicorn
        except ImportError:
            raise ConfigError("--model human:web needs fastapi and uvicorn: pip install 'agentloop[trainers]'") from None
        self.slot = _Slot()
        config = uvicorn.Config(_app(self.slot), host="127.0.0.1", port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="agentloop-human-web", daemon=True)
        self.thread.start()
        while not self.server.started:
            if not self.thread.is_alive():
                raise ConfigError(f"--model human:web: cannot serve on 127.0.0.1:{port} (in use?); "
                                  "name another port, human:web:PORT, or 0 for any free one")
            self.thread.join(0.05)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        print(f"human model: answer the requests at {self.url}", file=sys.stderr, flush=True)

    def ask(self, request: HumanRequest, validate: Validate) -> str:
        s = self.slot
        with s.cond:
            s.request, s.validate, s.answer = request, validate, None
            s.cond.notify_all()
            while s.answer is None:
                if s.closed:
                    raise ModelError(f"{request.model}: closed before request {request.id} was answered")
                s.cond.wait(1.0)
            return s.answer

    def close(self) -> None:
        """Stop the server; a request still open is given up."""
        with self.slot.cond:
            self.slot.closed = True
            self.slot.cond.notify_all()
        self.server.should_exit = True
        self.thread.join(timeout=5)


def _with_images(request: HumanRequest) -> dict[str, Any]:
    """The request as JSON, each image given inline as a data URL beside its file."""
    data = request.model_dump(mode="json", exclude_none=True)
    for m in data["messages"]:
        for p in m["content"]:
            if p.get("path"):
                p["url"] = "data:image/png;base64," + base64.b64encode(Path(p["path"]).read_bytes()).decode("ascii")
    return data


def _app(slot: _Slot) -> Any:
    from fastapi import Body, FastAPI, Response
    from fastapi.responses import HTMLResponse, JSONResponse

    app = FastAPI(title="agentloop human model", docs_url=None, redoc_url=None)
    page = resources.files("agentloop.models").joinpath("templates/human.html").read_text(encoding="utf-8")

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        return page

    @app.get("/request", response_model=None)
    def pending(wait: float = 0.0) -> Response | dict[str, Any]:
        with slot.cond:
            slot.cond.wait_for(lambda: slot.request is not None or slot.closed, timeout=min(max(wait, 0.0), MAX_WAIT_S))
            if slot.request is None:
                return Response(status_code=204)
            return _with_images(slot.request)

    @app.post("/reply", response_model=None)
    def reply(body: Any = Body(None)) -> JSONResponse | dict[str, Any]:
        with slot.cond:
            request, validate = slot.request, slot.validate
            if request is None or validate is None:
                return JSONResponse({"error": "no request is open"}, status_code=409)
            text, error = read_reply(body, request)
            if text is not None:
                error = validate(text)
            if error is not None:
                request.attempt += 1
                request.error = error
                return JSONResponse({"error": error, "request": _with_images(request)}, status_code=422)
            # Closed here, not when the run's thread wakes: a GET right after this POST must
            # not be given the answered request again.
            slot.answer, slot.request, slot.validate = text, None, None
            slot.cond.notify_all()
            return {"accepted": True}

    return app
