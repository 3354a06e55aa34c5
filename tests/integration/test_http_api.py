"""The HTTP service over a real socket, checked with the official `openai` client: chat with citations, streams,
models, errors, uploads, search, documents, keys."""

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
import uvicorn

from assistant.app.http.api import create_app
from assistant.app.uploads import safe_filename
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
    yield from start(
        Settings(data_dir=tmp_path / "data", collection="api-docs", embedder="fake", answerer="extractive")
    )


@pytest.fixture
def locked_server(tmp_path: Path) -> Iterator[str]:
    yield from start(Settings(data_dir=tmp_path / "data", embedder="fake", answerer="extractive", api_keys=["s3cret"]))


def upload(url: str, name: str, text: str | bytes, **params: str) -> httpx.Response:
    data = text.encode() if isinstance(text, str) else text
    return httpx.post(f"{url}/v1/documents", files={"files": (name, data, "text/plain")}, params=params, timeout=60)


def client(url: str, key: str = "none") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0, timeout=60)


def test_the_openai_client_gets_an_answer_with_citations_usage_and_a_finish_reason(server: str) -> None:
    added = upload(server, "../../etc/lighthouse notes.txt", "The lighthouse lamp was automated in 1989.")
    assert added.status_code == 201 and added.json()["summary"] == "1 added"
    assert added.json()["results"][0]["source"].endswith("uploads/api-docs/lighthouse_notes.txt")
    reply = client(server).chat.completions.create(
        model="api-docs", messages=[{"role": "user", "content": "When was the lighthouse lamp automated?"}]
    )
    assert reply.object == "chat.completion"
    choice = reply.choices[0]
    assert choice.finish_reason == "stop"
    assert "1989" in (choice.message.content or "") and "[1]" in (choice.message.content or "")
    extra = choice.message.model_extra or {}
    assert extra["refused"] is False and extra["refusal_reason"] is None
    assert extra["citations"][0]["n"] == 1 and extra["citations"][0]["source"].endswith("lighthouse_notes.txt")
    assert (
        reply.usage is not None
        and reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens
    )


def test_the_openai_client_streams_pieces_then_citations_then_usage(server: str) -> None:
    upload(server, "mill.md", "The windmill grinds rye on Saturdays.")
    stream = client(server).chat.completions.create(
        model="api-docs",
        stream=True,
        stream_options={"include_usage": True},
        messages=[{"role": "user", "content": [{"type": "text", "text": "What does the windmill grind?"}]}],
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "rye" in text
    final = [c for c in chunks if c.choices and c.choices[0].finish_reason][-1]
    assert final.choices[0].finish_reason == "stop"
    assert (final.model_extra or {})["citations"] and (final.model_extra or {})["refused"] is False
    assert chunks[-1].choices == [] and chunks[-1].usage is not None


def test_a_question_the_documents_do_not_answer_is_marked_refused_with_a_reason(server: str) -> None:
    upload(server, "owls.txt", "Barn owls hunt mice at dusk.")
    reply = client(server).chat.completions.create(
        model="api-docs", messages=[{"role": "user", "content": "What is the capital of Peru?"}]
    )
    extra = reply.choices[0].message.model_extra or {}
    assert extra["refused"] is True and extra["refusal_reason"] and extra["citations"] == []


def test_models_list_the_collections_and_the_model_picks_the_collection(server: str) -> None:
    upload(server, "owls.txt", "Barn owls hunt mice at dusk.", collection="birds")
    upload(server, "mill.md", "The windmill grinds rye on Saturdays.")
    api = client(server)
    assert sorted(model.id for model in api.models.list()) == ["api-docs", "birds"]
    assert api.models.retrieve("birds").id == "birds"
    with pytest.raises(openai.NotFoundError, match="GET /v1/models"):
        api.models.retrieve("gpt-4")
    reply = api.chat.completions.create(
        model="birds", messages=[{"role": "user", "content": "When do barn owls hunt?"}]
    )
    cited = (reply.choices[0].message.model_extra or {})["citations"]
    assert cited and cited[0]["source"].endswith("uploads/birds/owls.txt")


def test_every_error_has_the_openai_shape(server: str) -> None:
    api = client(server)
    with pytest.raises(openai.BadRequestError, match="question is empty") as empty:
        api.chat.completions.create(model="x", messages=[{"role": "user", "content": " "}])
    assert empty.value.type == "invalid_request_error" and empty.value.code == "input_error"
    garbled = httpx.post(
        f"{server}/v1/chat/completions",
        content=b'{"model": "x", "messages": [',
        headers={"Content-Type": "application/json"},
    )
    assert garbled.status_code == 422 and garbled.json()["error"]["param"] == "body"
    assert "the request body is not valid JSON" in garbled.json()["error"]["message"]
    with pytest.raises(openai.BadRequestError, match=r"messages\[0\]\.content\[1\].*'image_url'"):
        api.chat.completions.create(
            model="x",
            messages=[
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "What is this?"},
                        {"type": "image_url", "image_url": {"url": "http://x/y.png"}},
                    ],
                }
            ],
        )
    invalid = httpx.post(f"{server}/v1/chat/completions", json={"model": "x"})
    assert invalid.status_code == 422
    assert (
        invalid.json()["error"]["param"] == "messages"
        and "messages: Field required" in invalid.json()["error"]["message"]
    )
    for response in (
        httpx.get(f"{server}/v1/nothing"),
        httpx.get(f"{server}/v1/documents", params={"collection": "no way"}),
        invalid,
        httpx.delete(f"{server}/v1/documents", params={"source": "ghost.txt"}),
    ):
        error = response.json()["error"]
        assert set(error) == {"message", "type", "param", "code"} and error["message"], response.text
    assert (
        "not a valid name"
        in httpx.get(f"{server}/v1/documents", params={"collection": "no way"}).json()["error"]["message"]
    )
    assert httpx.get(f"{server}/healthz").json()["status"] == "ok"
    assert "/v1/models" in httpx.get(f"{server}/openapi.json").json()["paths"]


def test_search_list_and_delete_documents(server: str) -> None:
    upload(server, "owls.txt", "Barn owls hunt mice at dusk.")
    passages = httpx.post(f"{server}/v1/search", json={"query": "owls hunt", "k": 3}).json()["passages"]
    assert passages[0]["text"] == "Barn owls hunt mice at dusk." and passages[0]["start"] == 0
    listed = httpx.get(f"{server}/v1/documents").json()["documents"]
    assert [Path(d["source"]).name for d in listed] == ["owls.txt"]
    assert listed[0]["sha256"] == hashlib.sha256(b"Barn owls hunt mice at dusk.").hexdigest()
    deleted = httpx.delete(f"{server}/v1/documents", params={"source": listed[0]["source"]}).json()
    assert deleted["status"] == "removed"
    assert not Path(listed[0]["source"]).exists()  # the uploaded copy goes with it
    assert httpx.get(f"{server}/v1/documents").json()["documents"] == []
    again = httpx.delete(f"{server}/v1/documents", params={"source": listed[0]["source"]})
    assert again.status_code == 404
    message = again.json()["error"]["message"]
    assert (
        "not a document of collection 'api-docs'" in message and "GET /v1/documents" in message and "qa " not in message
    )


def uploads_folder(tmp_path: Path) -> list[str]:
    folder = tmp_path / "data" / "uploads" / "api-docs"
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) if folder.exists() else []


def test_uploads_answer_by_outcome_and_keep_no_file_that_did_not_ingest(server: str, tmp_path: Path) -> None:
    broken_pdf = b"%PDF-1.7 this is not really a pdf"
    failed = upload(server, "broken.pdf", broken_pdf)
    assert failed.status_code == 422 and failed.json()["results"][0]["status"] == "failed"
    assert (
        failed.json()["error"]["message"].startswith("no file was stored: ")
        and "broken.pdf" in failed.json()["error"]["message"]
    )
    assert uploads_folder(tmp_path) == []
    files = [
        ("files", ("good.txt", b"Swifts sleep while flying.", "text/plain")),
        ("files", ("broken.pdf", broken_pdf, "application/pdf")),
    ]
    mixed = httpx.post(f"{server}/v1/documents", files=files, timeout=60)
    assert mixed.status_code == 207
    assert [r["status"] for r in mixed.json()["results"]] == ["added", "failed"]
    assert uploads_folder(tmp_path) == ["good.txt"]
    assert upload(server, "good.txt", "Swifts sleep while flying.").status_code == 201  # unchanged is stored


def test_a_new_version_that_fails_leaves_the_earlier_one_in_place(server: str, tmp_path: Path) -> None:
    assert upload(server, "report.pdf", pdf_bytes("Terns migrate from pole to pole.")).status_code == 201
    before = (tmp_path / "data" / "uploads" / "api-docs" / "report.pdf").read_bytes()
    assert upload(server, "report.pdf", b"%PDF-1.7 damaged").status_code == 422
    assert (tmp_path / "data" / "uploads" / "api-docs" / "report.pdf").read_bytes() == before
    found = httpx.post(f"{server}/v1/search", json={"query": "Where do terns migrate?"}).json()["passages"]
    assert "pole to pole" in found[0]["text"]


def pdf_bytes(text: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())


def test_an_upload_can_stream_its_progress(server: str) -> None:
    files = [
        ("files", (f"note{n}.txt", f"Note {n}: the kettle whistles at {n} o'clock.".encode(), "text/plain"))
        for n in range(3)
    ]
    with httpx.stream("POST", f"{server}/v1/documents", files=files, params={"stream": "true"}, timeout=60) as response:
        events = [line.removeprefix("data: ") for line in response.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    parsed = [json.loads(event) for event in events[:-1]]
    ticks = [event["progress"] for event in parsed if "progress" in event]
    assert ticks[-1] == {"stage": "files", "done": 3, "total": 3, "name": ticks[-1]["name"], "chunks": 3}
    assert parsed[-1]["status"] == 201 and parsed[-1]["summary"] == "3 added"


def test_api_keys_are_required_when_configured(locked_server: str) -> None:
    assert httpx.get(f"{locked_server}/v1/documents").status_code == 401
    with pytest.raises(openai.AuthenticationError, match="wrong API key"):
        client(locked_server, "guess").models.list()
    assert [model.id for model in client(locked_server, "s3cret").models.list()] == ["docs"]
    ok = httpx.get(f"{locked_server}/v1/documents", headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200
    assert httpx.get(f"{locked_server}/healthz").status_code == 200


def test_upload_names_cannot_escape_the_upload_folder() -> None:
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\Users\\me\\a b.pdf") == "a_b.pdf"
    assert safe_filename("...") == "upload"


def test_uploads_at_the_same_time_take_turns_on_the_writer_lock_and_all_are_stored(server: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    names = [f"tide{n}.txt" for n in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(lambda n: upload(server, n, f"{n}: high tide comes at {len(n)} o'clock."), names))
    assert [r.status_code for r in responses] == [201] * 4
    assert sorted(Path(d["source"]).name for d in httpx.get(f"{server}/v1/documents").json()["documents"]) == names


def test_a_disk_error_while_files_are_moved_in_puts_back_what_was_stored(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second file of a request cannot be moved in (the disk refuses): the first, a new version of a stored
    file, goes back to the stored version instead of being lost with the staging folder."""
    from assistant.app.uploads import Staging

    assert upload(server, "tide.txt", "High tide is at noon.").status_code == 201
    real_place = Staging.place
    calls = {"n": 0}

    def place(self: Staging, *args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        return real_place(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Staging, "place", place)
    files = [
        ("files", ("tide.txt", b"High tide is at one.", "text/plain")),
        ("files", ("moon.txt", b"Moon.", "text/plain")),
    ]
    refused = httpx.post(f"{server}/v1/documents", files=files, timeout=60)
    assert refused.status_code >= 500, refused.text
    stored = tmp_path / "data" / "uploads" / "api-docs" / "tide.txt"
    assert stored.read_text(encoding="utf-8") == "High tide is at noon."
    assert not (tmp_path / "data" / "uploads" / "api-docs" / "moon.txt").exists()


def test_uploads_that_fail_before_their_body_is_read_give_their_place_in_the_queue_back(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.app.uploads import Staging

    def broken(_data_dir: Path) -> Staging:
        raise OSError(13, "Permission denied")

    monkeypatch.setattr(Staging, "create", staticmethod(broken))
    for _ in range(12):  # more than the queue holds (one writing and QA_UPLOAD_QUEUE=8 waiting)
        assert upload(server, "gull.txt", "Gulls nest in May.").status_code != 503
    monkeypatch.undo()
    assert upload(server, "gull.txt", "Gulls nest in May.").status_code == 201
