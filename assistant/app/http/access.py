"""What `qa serve` lets in, decided from the headers before the route reads a byte of the body: the API key,
and a body that declares itself over the size cap.

A route's own dependency runs only after FastAPI has read and parsed the body (a 400 MB upload spooled to disk,
a 300 MB JSON body parsed in memory, and only then the 401). Here a request without a valid key gets its 401
from the headers alone. The health check and the API's description stay open. A body that does not declare its
length is held to the same cap by each route's ``max_body_size`` while it streams.
"""

from __future__ import annotations

import hmac

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from assistant.app.http.errors import HTTP_ERRORS
from assistant.app.http.openai_format import error_body
from assistant.settings import Settings

UPLOAD_PATH = "/v1/documents"
_MB = 1024 * 1024
OPEN_PATHS = frozenset({"/healthz", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})
WRONG_KEY = "missing or wrong API key: send 'Authorization: Bearer KEY'"


def key_ok(settings: Settings, authorization: str | None) -> bool:
    """Whether ``authorization`` carries one of the configured keys (always true when none is configured)."""
    if not settings.server.api_keys:
        return True
    token = (authorization or "").removeprefix("Bearer ").strip()
    # Compared in constant time, every key, so the timing says nothing about how much of a key was right.
    matches = [hmac.compare_digest(token.encode(), key.encode()) for key in settings.server.api_keys]
    return any(matches)


def body_limit_mb(settings: Settings, path: str) -> tuple[int, str]:
    """The body cap of a route in MB, and the setting that sets it."""
    if path == UPLOAD_PATH:
        return settings.server.max_upload_request_mb, "QA_MAX_UPLOAD_REQUEST_MB"
    return settings.server.max_request_mb, "QA_MAX_REQUEST_MB"


def too_large(settings: Settings, path: str, declared: str | None) -> str:
    """The 413 message: the request's real size when it declared one, the limit and the setting that sets it."""
    limit, setting = body_limit_mb(settings, path)
    size = f"is {int(declared) / _MB:.1f} MB," if declared and declared.isdigit() else "is"
    advice = "send fewer or smaller files per request" if path == UPLOAD_PATH else "send a shorter request"
    return f"the request body {size} over the {limit} MB limit; {advice}, or raise {setting} and restart"


class Gate:
    """ASGI middleware: 401 in OpenAI's error shape for a request to a closed path without a valid key, and 413
    for a body whose declared length is over its route's cap; neither reads the body."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and self.settings.server.api_keys
            and scope["path"] not in OPEN_PATHS
            and not key_ok(self.settings, Headers(scope=scope).get("authorization"))
        ):
            await _refuse(401, WRONG_KEY, scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length") if scope["type"] == "http" else None
        if declared and declared.isdigit() and int(declared) > body_limit_mb(self.settings, scope["path"])[0] * _MB:
            message = too_large(self.settings, scope["path"], declared)
            await _refuse(413, message, scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _refuse(status: int, message: str, scope: Scope, receive: Receive, send: Send) -> None:
    # Connection: close, as the body that follows the headers is not read. The code is the status's (errors.py).
    body = error_body(status, message, code=HTTP_ERRORS[status])
    response = JSONResponse(body, status_code=status, headers={"Connection": "close"})
    await response(scope, receive, send)
