"""The HTTP error codes are public API: each value, and which error gets which status and code, is pinned here,
so renaming an exception class (or a member of ErrorCode) cannot change what a client reads."""

from __future__ import annotations

import pytest

from assistant.app.http.admission import Busy
from assistant.app.http.errors import HTTP_ERRORS, ErrorCode, assistant_error_body, status_and_code
from assistant.errors import (
    AssistantError,
    ConfigError,
    DamagedIndexError,
    DiskFullError,
    IngestError,
    InputError,
    ModelError,
    StoreError,
)

# Every code the service has ever sent. A new one may be added; none may change or go.
PUBLISHED_CODES = {
    "busy",
    "input_error",
    "config_error",
    "model_error",
    "store_error",
    "ingest_error",
    "assistant_error",
    "invalid_api_key",
    "not_found",
    "request_too_large",
    "invalid_request",
    "not_stored",
}


def test_every_published_code_is_an_error_code() -> None:
    assert {code.value for code in ErrorCode} >= PUBLISHED_CODES
    assert all(isinstance(code, str) for code in ErrorCode)  # sent as the plain string in JSON


class UnforeseenError(AssistantError):
    """An error kind added later without a row of its own."""


class RenamedInputError(InputError):
    """A subclass, as a renamed or split class would be."""


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (Busy("all places taken", retry_after_s=3), 503, "busy"),
        (InputError("bad question"), 400, "input_error"),
        (RenamedInputError("bad question"), 400, "input_error"),
        (ConfigError("bad setting"), 400, "config_error"),
        (ModelError("no model"), 503, "model_error"),
        (StoreError("no store"), 503, "store_error"),
        (DiskFullError("disk full"), 503, "store_error"),
        (DamagedIndexError("damaged"), 503, "store_error"),
        (IngestError("unreadable"), 400, "ingest_error"),
        (UnforeseenError("something else"), 400, "assistant_error"),
    ],
)
def test_each_error_of_the_assistant_has_its_fixed_status_and_code(
    error: AssistantError, status: int, code: str
) -> None:
    assert status_and_code(error) == (status, code)
    body = assistant_error_body(error)
    assert body["error"]["code"] == code and body["error"]["message"] == str(error)


def test_http_statuses_have_their_fixed_codes() -> None:
    assert {status: code.value for status, code in HTTP_ERRORS.items()} == {
        401: "invalid_api_key",
        404: "not_found",
        413: "request_too_large",
    }
