"""Each router of the HTTP service works alone: mounted on a bare FastAPI app that holds a Service over a registry
on a temporary data folder (fake embedder, extractive answers), called through TestClient; and the whole app
keeps its gate and body limits. Error bodies carry the pinned codes (errors.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.app.http.api import create_app
from assistant.app.http.routes import chat, documents, health, models, search
from assistant.app.registry import Registry
from assistant.settings import Settings
from tests.fixtures.http import alone, code, ferry_registry, router_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return router_settings(tmp_path)


@pytest.fixture
def registry(settings: Settings, tmp_path: Path) -> Iterator[Registry]:
    with ferry_registry(settings, tmp_path) as built:
        yield built


def test_the_health_router_alone_checks_the_parts(registry: Registry) -> None:
    report = alone(registry, health.router).get("/healthz").json()
    assert report["status"] == "ok"
    assert set(report["checks"]) == {"store", "state", "embedding_model", "language_model"}
    assert report["checks"]["language_model"]["detail"] == "extractive answerer: no language model needed"
    # The registry's Assistant ingested a document, so its store and embedder are open: the report says what
    # they hold instead of "opens on the first request".
    assert report["checks"]["store"]["detail"].startswith("1 vectors in collection 'docs'"), report
    assert "dimensions" in report["checks"]["embedding_model"]["detail"]


def test_the_models_router_alone_lists_the_collections(registry: Registry) -> None:
    client = alone(registry, models.router)
    assert [card["id"] for card in client.get("/v1/models").json()["data"]] == ["docs"]
    assert client.get("/v1/models/docs").json()["id"] == "docs"
    missing = client.get("/v1/models/gpt-4")
    assert missing.status_code == 404 and code(missing) == "not_found" and "GET /v1/models" in missing.text


def test_the_chat_router_alone_answers_with_a_citation(registry: Registry) -> None:
    client = alone(registry, chat.router)
    reply = client.post(
        "/v1/chat/completions",
        json={"model": "docs", "messages": [{"role": "user", "content": "How often does the ferry leave?"}]},
    )
    assert reply.status_code == 200, reply.text
    message = reply.json()["choices"][0]["message"]
    assert "40 minutes" in message["content"] and message["citations"][0]["source"].endswith("ferry.txt")
    no_question = client.post("/v1/chat/completions", json={"messages": [{"role": "assistant", "content": "Hi"}]})
    assert no_question.status_code == 400 and code(no_question) == "input_error"
    unknown = client.post(
        "/v1/chat/completions", json={"collection": "nowhere", "messages": [{"role": "user", "content": "Ferry?"}]}
    )
    assert unknown.status_code == 404 and code(unknown) == "not_found"


def test_the_search_router_alone_finds_passages_and_names_bad_requests(registry: Registry) -> None:
    client = alone(registry, search.router)
    found = client.post("/v1/search", json={"query": "ferry north pier", "k": 3})
    assert found.status_code == 200 and found.json()["passages"][0]["source"].endswith("ferry.txt")
    invalid = client.post("/v1/search", json={"query": "ferry", "k": 0})
    assert invalid.status_code == 422 and code(invalid) == "invalid_request" and invalid.json()["error"]["param"] == "k"
    bad_name = client.post("/v1/search", json={"query": "ferry", "collection": "../up"})
    assert bad_name.status_code == 400 and code(bad_name) == "input_error"


def test_the_documents_router_alone_uploads_lists_and_removes(registry: Registry) -> None:
    client = alone(registry, documents.router)
    added = client.post(
        "/v1/documents",
        params={"collection": "notes"},
        files={"files": ("tides.txt", b"High tide is at noon.", "text/plain")},
    )
    assert added.status_code == 201 and added.json()["summary"] == "1 added"
    listed = client.get("/v1/documents", params={"collection": "notes"}).json()["documents"]
    assert [Path(document["source"]).name for document in listed] == ["tides.txt"]
    refused = client.post("/v1/documents", files={"files": ("empty.txt", b"", "text/plain")})
    assert refused.status_code == 422 and code(refused) == "not_stored"
    removed = client.delete("/v1/documents", params={"collection": "notes", "source": "tides.txt"})
    assert removed.status_code == 200 and removed.json()["status"] == "removed"
    gone = client.delete("/v1/documents", params={"collection": "notes", "source": "tides.txt"})
    assert gone.status_code == 404 and code(gone) == "not_found"


def test_the_whole_app_keeps_its_gate_and_body_limits(settings: Settings) -> None:
    app = create_app(settings.updated(api_keys=["s3cret"], max_request_mb=1))
    client = TestClient(app)
    assert app.state.service.registry.settings.server.api_keys == ["s3cret"]
    locked = client.get("/v1/models")
    assert locked.status_code == 401 and code(locked) == "invalid_api_key"
    key = {"Authorization": "Bearer s3cret"}
    assert client.get("/v1/models", headers=key).status_code == 200

    def chunks() -> Iterator[bytes]:  # no Content-Length: the route's own limit stops it while it streams
        yield b'{"query": "'
        for _ in range(3):
            yield b"x" * (512 * 1024)
        yield b'"}'

    big = client.post("/v1/search", content=chunks(), headers={**key, "Content-Type": "application/json"})
    assert big.status_code == 413 and code(big) == "request_too_large" and "QA_MAX_REQUEST_MB" in big.text
    unknown = client.get("/v1/nothing", headers=key)
    assert unknown.status_code == 404 and "no such endpoint" in unknown.text and code(unknown) == "not_found"
