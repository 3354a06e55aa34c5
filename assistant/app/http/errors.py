"""The HTTP service's errors: every public ``code`` it sends, and which error gets which status and code.

Every error body has OpenAI's shape ``{"error": {"message", "type", "param", "code"}}`` (openai_format.py). The
``code`` is part of the public API: it comes from `ErrorCode`, by the fixed tables below, never from a class
name, so renaming an exception class cannot change what a client sees (tests/unit/test_http_errors.py pins
every value). A new error kind gets a new member here and a row in a table.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from assistant.app.http.admission import Busy
from assistant.app.http.openai_format import error_body
from assistant.errors import AssistantError, ConfigError, IngestError, InputError, ModelError, StoreError


class ErrorCode(StrEnum):
    """The ``code`` of an error body; its values are public API and never change."""

    BUSY = "busy"
    INPUT_ERROR = "input_error"
    CONFIG_ERROR = "config_error"
    MODEL_ERROR = "model_error"
    STORE_ERROR = "store_error"
    INGEST_ERROR = "ingest_error"
    ASSISTANT_ERROR = "assistant_error"
    INVALID_API_KEY = "invalid_api_key"
    NOT_FOUND = "not_found"
    REQUEST_TOO_LARGE = "request_too_large"
    INVALID_REQUEST = "invalid_request"
    NOT_STORED = "not_stored"


# An error of the assistant -> (HTTP status, code), first match wins: a subclass (DiskFullError) has its
# family's (StoreError's). Any other AssistantError is ASSISTANT_ERROR with 400.
ASSISTANT_ERRORS: tuple[tuple[type[AssistantError], int, ErrorCode], ...] = (
    (Busy, 503, ErrorCode.BUSY),
    (InputError, 400, ErrorCode.INPUT_ERROR),
    (ConfigError, 400, ErrorCode.CONFIG_ERROR),
    (ModelError, 503, ErrorCode.MODEL_ERROR),
    (StoreError, 503, ErrorCode.STORE_ERROR),
    (IngestError, 400, ErrorCode.INGEST_ERROR),
)
OTHER_ASSISTANT_ERROR = (400, ErrorCode.ASSISTANT_ERROR)
# An HTTP error raised by a route or by the framework -> its code (other statuses have none, as OpenAI's).
HTTP_ERRORS: dict[int, ErrorCode] = {
    401: ErrorCode.INVALID_API_KEY,
    404: ErrorCode.NOT_FOUND,
    413: ErrorCode.REQUEST_TOO_LARGE,
}
VALIDATION_ERROR = (422, ErrorCode.INVALID_REQUEST)


def status_and_code(exc: AssistantError) -> tuple[int, ErrorCode]:
    """The HTTP status and public code of an error of the assistant."""
    return next(
        ((status, code) for kind, status, code in ASSISTANT_ERRORS if isinstance(exc, kind)), OTHER_ASSISTANT_ERROR
    )


def status_of(exc: AssistantError) -> int:
    """The HTTP status for an error of the assistant."""
    return status_and_code(exc)[0]


def code_of(exc: AssistantError) -> ErrorCode:
    """The stable public ``code`` for an error of the assistant (a subclass has its family's code)."""
    return status_and_code(exc)[1]


def assistant_error_body(exc: AssistantError) -> dict[str, Any]:
    """The error body for an error of the assistant: the same whether it ends a response or a stream."""
    status, code = status_and_code(exc)
    return error_body(status, str(exc), code=code)
