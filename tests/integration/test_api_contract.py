"""Contract test: schemathesis generates requests from /openapi.json (valid and invalid ones) and no request
gets a server error (5xx), and every error it provokes has the OpenAI error shape."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from assistant.app.http.api import create_app
from assistant.app.service import build_assistant
from assistant.models.embedder import FakeEmbedder
from assistant.settings import Settings

EXAMPLES = 20  # per operation: valid and invalid requests, bodies and parameters


@pytest.fixture
def api_schema(tmp_path: Path) -> Any:
    data = tmp_path / "data"
    seeded = build_assistant(
        Settings(data_dir=data, collection="docs", answerer="extractive", embedder="fake"), embedder=FakeEmbedder()
    )
    (tmp_path / "ferry.txt").write_text(
        "The harbour ferry leaves every 40 minutes from the north pier.", encoding="utf-8"
    )
    seeded.ingest([tmp_path / "ferry.txt"])
    app = create_app(Settings(data_dir=data, collection="docs", answerer="extractive", embedder="fake"))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def openai_error_shape(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every 4xx answer is {"error": {"message", "type", "param", "code"}} with a message."""
    if 400 <= response.status_code < 500:
        error = response.json()["error"]
        assert set(error) == {"message", "type", "param", "code"} and error["message"], response.text
    return None


def test_no_generated_request_gets_a_server_error(api_schema: Any) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {operation.path for operation in operations} >= {"/v1/chat/completions", "/v1/models", "/v1/documents"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def exercise(case: Any) -> None:
            case.call_and_validate(checks=[not_a_server_error], additional_checks=[openai_error_shape])

        exercise()
