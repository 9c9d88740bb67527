"""Who may talk to the server: loopback by default, a bearer token for anything else.

`TokenGate` checks every HTTP request and every WebSocket handshake. It takes the token as
`Authorization: Bearer TOKEN`, or as the password of HTTP Basic authentication, which is what
a WebSocket client sends for a URL with credentials in it: openenv-core's `GenericEnvClient`
reaches a token-guarded server unchanged with `base_url="http://agentloop:TOKEN@host:port"`.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from agentloop.errors import ConfigError
from agentloop.integrations.options import TOKEN_ENV

MIN_TOKEN = 16  # characters; `python -c "import secrets; print(secrets.token_urlsafe(32))"` makes one


def is_loopback(host: str) -> bool:
    """Whether binding `host` keeps the server on this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def check_bind(host: str, token: str | None) -> None:
    """Refuse to bind beyond loopback without a token, or with one too short to guard anything."""
    if token is not None and len(token) < MIN_TOKEN:
        raise ConfigError(f"the token is too short ({len(token)} characters; at least {MIN_TOKEN})")
    if token is None and not is_loopback(host):
        raise ConfigError(
            f"binding {host} serves the envs beyond this machine: give a token (--token or ${TOKEN_ENV}, "
            f"at least {MIN_TOKEN} characters), or bind 127.0.0.1"
        )


def presented_token(headers: dict[bytes, bytes]) -> str | None:
    """The token in an `Authorization` header: bearer, or the password of Basic credentials."""
    value = headers.get(b"authorization", b"").decode("latin-1")
    scheme, _, credentials = value.partition(" ")
    if scheme.lower() == "bearer":
        return credentials.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2]
    return None


class TokenGate:
    """ASGI middleware: a request or handshake without the server's token is refused with 401."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._token = token.encode("utf-8")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self._allowed(scope):
            await self.app(scope, receive, send)
            return
        await deny(scope, receive, send, 401, "a bearer token is required (Authorization: Bearer TOKEN)",
                   {"WWW-Authenticate": "Bearer"})

    def _allowed(self, scope: Scope) -> bool:
        given = presented_token(dict(scope.get("headers", [])))
        return given is not None and hmac.compare_digest(given.encode("utf-8"), self._token)


async def deny(scope: Scope, receive: Receive, send: Send, status: int, message: str,
               headers: dict[str, str] | None = None, **details: Any) -> None:
    """Answer an HTTP request, or refuse a WebSocket handshake, with `status` and a JSON reason."""
    response = JSONResponse({"message": message, **details}, status_code=status, headers=headers)
    if scope["type"] == "http":
        await response(scope, receive, send)
        return
    websocket = WebSocket(scope, receive, send)
    if "websocket.http.response" in scope.get("extensions", {}):
        await websocket.send_denial_response(response)
    else:  # a server without the denial extension: the handshake fails with 403
        await websocket.close(code=1008, reason=message[:120])
