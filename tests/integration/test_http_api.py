"""The HTTP service over a real socket: OpenAI-compatible chat with citations, search, documents, keys."""

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from assistant.api import create_app
from assistant.uploads import safe_filename
from assistant.settings import Settings
from tests.fixtures.servers import free_port



def start(settings: Settings) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    yield from start(Settings(data_dir=tmp_path / "data", collection="api-docs", embedder="fake", answerer="extractive"))


@pytest.fixture
def locked_server(tmp_path: Path) -> Iterator[str]:
    yield from start(Settings(data_dir=tmp_path / "data", embedder="fake", answerer="extractive", api_keys=["s3cret"]))


def upload(url: str, name: str, text: str, **params: str) -> httpx.Response:
    return httpx.post(f"{url}/v1/documents", files={"files": (name, text.encode(), "text/plain")}, params=params)


def test_upload_then_chat_returns_an_openai_shaped_answer_with_citations(server: str) -> None:
    added = upload(server, "../../etc/lighthouse notes.txt", "The lighthouse lamp was automated in 1989.")
    assert added.status_code == 200 and added.json()["summary"] == "1 added"
    assert added.json()["results"][0]["source"].endswith("uploads/api-docs/lighthouse_notes.txt")
    reply = httpx.post(
        f"{server}/v1/chat/completions",
        json={"model": "x", "messages": [{"role": "user", "content": "When was the lighthouse lamp automated?"}]},
        timeout=30,
    ).json()
    assert reply["object"] == "chat.completion"
    content = reply["choices"][0]["message"]["content"]
    assert "1989" in content and "[1]" in content
    assert reply["citations"][0]["source"].endswith("lighthouse_notes.txt")
    assert reply["qa_answer"]["refused"] is False


def test_streaming_chat_sends_pieces_then_citations_then_done(server: str) -> None:
    upload(server, "mill.md", "The windmill grinds rye on Saturdays.")
    body = {"messages": [{"role": "user", "content": "What does the windmill grind?"}], "stream": True}
    with httpx.stream("POST", f"{server}/v1/chat/completions", json=body, timeout=30) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line.removeprefix("data: ") for line in response.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert "rye" in text
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop" and chunks[-1]["citations"]


def test_search_list_and_delete_documents(server: str) -> None:
    upload(server, "owls.txt", "Barn owls hunt mice at dusk.")
    passages = httpx.post(f"{server}/v1/search", json={"query": "owls hunt", "k": 3}).json()["passages"]
    assert passages[0]["text"] == "Barn owls hunt mice at dusk." and passages[0]["start"] == 0
    listed = httpx.get(f"{server}/v1/documents").json()["documents"]
    assert [Path(d["source"]).name for d in listed] == ["owls.txt"]
    deleted = httpx.delete(f"{server}/v1/documents", params={"source": listed[0]["source"]}).json()
    assert deleted["status"] == "removed"
    assert httpx.get(f"{server}/v1/documents").json()["documents"] == []
    again = httpx.delete(f"{server}/v1/documents", params={"source": listed[0]["source"]})
    assert again.status_code == 404 and "not a source of collection" in again.json()["detail"]


def test_bad_requests_get_clear_errors(server: str) -> None:
    empty = httpx.post(f"{server}/v1/chat/completions", json={"messages": [{"role": "user", "content": " "}]})
    assert empty.status_code == 400 and "question is empty" in empty.json()["error"]["message"]
    bad_collection = httpx.get(f"{server}/v1/documents", params={"collection": "no way"})
    assert bad_collection.status_code == 400 and "not a valid name" in bad_collection.json()["error"]["message"]
    assert httpx.get(f"{server}/healthz").json() == {"status": "ok"}
    assert "/v1/chat/completions" in httpx.get(f"{server}/openapi.json").json()["paths"]


def test_api_keys_are_required_when_configured(locked_server: str) -> None:
    assert httpx.get(f"{locked_server}/v1/documents").status_code == 401
    ok = httpx.get(f"{locked_server}/v1/documents", headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200
    assert httpx.get(f"{locked_server}/healthz").status_code == 200


def test_upload_names_cannot_escape_the_upload_folder() -> None:
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\Users\\me\\a b.pdf") == "a_b.pdf"
    assert safe_filename("...") == "upload"
