"""The exception handlers of the HTTP service: every error, whatever raised it, as an OpenAI-shaped body with its
status and code from the tables of errors.py. `install_error_handlers(app)` puts them on an application (create_app
does; so does a test that mounts one router on a bare FastAPI app)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from assistant.app.http.access import too_large
from assistant.app.http.admission import Busy
from assistant.app.http.errors import HTTP_ERRORS, VALIDATION_ERROR, assistant_error_body, status_of
from assistant.app.http.openai_format import error_body
from assistant.errors import AssistantError

logger = logging.getLogger(__name__)


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None, **fields: Any) -> JSONResponse:
    """An error response in OpenAI's shape."""
    return JSONResponse(error_body(status, message, **fields), status_code=status, headers=headers)


def validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    """'field: problem' for each invalid field, and the first field's name (OpenAI's ``param``)."""
    problems, params = [], []
    for error in exc.errors():
        if error["type"] == "json_invalid":  # its location is a character position, not a field
            reason = (error.get("ctx") or {}).get("error", error["msg"])
            problems.append(f"the request body is not valid JSON ({reason} at character {error['loc'][-1]})")
            params.append("body")
            continue
        where = [str(part) for part in error["loc"] if part not in ("body", "query", "path", "header")]
        param = ".".join(where) or "body"
        params.append(param)
        problems.append(f"{param}: {error['msg']}")
    return "; ".join(problems) or "the request is not valid", params[0] if params else None


async def on_assistant_error(_request: Request, exc: AssistantError) -> JSONResponse:
    """An AssistantError: its status and code by the table; a Busy one says when to retry."""
    headers = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, Busy) else None
    return JSONResponse(assistant_error_body(exc), status_code=status_of(exc), headers=headers)


async def on_http_error(request: Request, exc: HTTPException) -> JSONResponse:
    """An HTTP error: an unknown path names the API description; a 413 names the limit and its setting."""
    message = str(exc.detail)
    if exc.status_code == 404 and message == "Not Found":
        message = f"no such endpoint: {request.method} {request.url.path}; the API is listed at /openapi.json"
    service = getattr(request.app.state, "service", None)
    if exc.status_code == 413 and service is not None:
        message = too_large(service.settings, request.url.path, None)
    return error_response(exc.status_code, message, exc.headers, code=HTTP_ERRORS.get(exc.status_code))


async def on_invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
    """A request that does not validate: every invalid field, the first one as ``param``."""
    message, param = validation_message(exc)
    status, code = VALIDATION_ERROR
    return error_response(status, message, param=param, code=code)


async def on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
    """A bug: 500 without details for the client, the traceback in the log."""
    logger.error("unexpected error", exc_info=exc)
    return error_response(500, f"internal error ({type(exc).__name__}); the server log has the details")


def install_error_handlers(app: FastAPI) -> None:
    """Every error of ``app`` in OpenAI's shape, with its status and code by the tables above."""
    app.exception_handler(AssistantError)(on_assistant_error)
    app.exception_handler(HTTPException)(on_http_error)
    app.exception_handler(RequestValidationError)(on_invalid_request)
    app.exception_handler(Exception)(on_unexpected)
