"""An OpenAI-compatible LLM server that is down, slow, or answers garbage: `qa ask` fails with one line that
names the server and the setting to check, and the next question to a working server is answered."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.fake_llm_server import fake_llm_server
from tests.reliability.conftest import qa

QUESTION = "How often does the harbour ferry leave?"
# Bodies a broken or wrong server sends back to a streamed chat completion.
BROKEN = {
    "garbage": ("text/event-stream", b"data: {this is not json\n\n"),
    "wrong-shape": ("text/event-stream", b'data: {"choices": "yes"}\n\n'),
    "html": ("text/html", b"<html><body>Welcome to nginx!</body></html>"),
}


@contextmanager
def broken_server(kind: str) -> Iterator[str]:
    """A server on loopback that answers every POST with one of BROKEN, or (``slow``) never while the test runs."""
    released = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if kind == "slow":
                released.wait(300)
            content_type, body = BROKEN.get(kind, ("text/event-stream", b"data: [DONE]\n\n"))
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        released.set()
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("faults")
    (root / "docs").mkdir()
    (root / "docs" / "ferry.txt").write_text(
        "The harbour ferry leaves every 40 minutes from the north pier. Tickets are sold on board.", encoding="utf-8"
    )
    assert qa(root / "data", "ingest", str(root / "docs")).returncode == 0
    return root / "data"


def ask(data: Path, url: str, timeout_s: str = "30") -> Any:
    return qa(
        data, "ask", QUESTION, env={"QA_ANSWERER": "openai", "QA_LLM_BASE_URL": url, "QA_LLM_TIMEOUT_S": timeout_s}
    )


def assert_one_line_error(done: Any, *expected: str) -> None:
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "unexpected error" not in done.stderr, done.stderr
    for text in expected:
        assert text in done.stderr, done.stderr


def test_a_server_that_is_down_is_named_with_the_setting_to_check(data: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]  # nothing listens once the probe is closed
    url = f"http://127.0.0.1:{closed}/v1"
    assert_one_line_error(ask(data, url), f"cannot reach the language model server at {url}", "QA_LLM_BASE_URL")


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_a_server_that_answers_garbage_gives_a_clear_error_and_the_next_question_works(data: Path, kind: str) -> None:
    with broken_server(kind) as url:
        expected = "without an event stream (text/html)" if kind == "html" else "not an OpenAI chat-completion chunk"
        assert_one_line_error(ask(data, url), url, expected, "QA_LLM_BASE_URL")
    with fake_llm_server("The harbour ferry leaves every 40 minutes [1].") as llm:
        answered = ask(data, llm.url)
    assert answered.returncode == 0 and "40 minutes" in answered.stdout, answered.stderr


def test_a_slow_server_times_out_with_the_setting_that_waits(data: Path) -> None:
    with broken_server("slow") as url:
        done = ask(data, url, timeout_s="1")  # returns at all only because it gave up: the server never answers
    assert_one_line_error(done, "did not answer within 1 s", "QA_LLM_TIMEOUT_S")


def test_a_chroma_server_that_goes_down_fails_fast_naming_it_and_nothing_is_lost_when_it_is_back(
    tmp_path: Path,
) -> None:
    from tests.fixtures.servers import chroma_server, free_port

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "harbour.txt").write_text(
        "The harbour master raises a red flag when winds pass 40 knots.", encoding="utf-8"
    )
    env = {"QA_CHROMA_URL": url}
    with chroma_server(tmp_path / "server", port):
        assert qa(tmp_path / "data", "ingest", str(docs), env=env).returncode == 0
    # Fails rather than retrying on: a hang would run into this guard (a loaded machine needs ~10 s to start).
    down = qa(tmp_path / "data", "search", "When is the red flag raised?", env=env, timeout=120)
    assert_one_line_error(down, f"Chroma server at {url}")
    with chroma_server(tmp_path / "server", port):
        back = qa(tmp_path / "data", "search", "When is the red flag raised?", env=env)
        assert back.returncode == 0 and "40 knots" in back.stdout, back.stderr
        unchanged = qa(tmp_path / "data", "ingest", str(docs), env=env)
        assert "1 unchanged" in unchanged.stdout


@contextmanager
def slow_stream_server(words: int, gap_s: float) -> Iterator[tuple[str, dict[str, int]]]:
    """An OpenAI-compatible server that streams ``words`` words, one every ``gap_s``; ``seen['sent']`` counts
    what it wrote to its last client and ``seen['cut']`` is 1 once that client went away mid-answer."""
    import json

    seen = {"sent": 0, "cut": 0}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            seen.update(sent=0, cut=0)
            try:
                for number in range(words):
                    chunk = {"choices": [{"index": 0, "delta": {"content": ("The" if number == 0 else " ferry")}}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                    seen["sent"] += 1
                    time.sleep(gap_s)
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                seen["cut"] = 1

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", seen
    finally:
        server.shutdown()
        server.server_close()


def test_a_client_that_leaves_mid_stream_stops_its_generation_and_the_next_request_works(data: Path) -> None:
    import httpx

    from tests.fixtures.servers import free_port, running_server
    from tests.reliability.conftest import qa_env

    with slow_stream_server(words=60, gap_s=0.2) as (url, seen):
        port = free_port()
        env = qa_env(data, {"QA_ANSWERER": "openai", "QA_LLM_BASE_URL": url})
        command = [sys.executable, "-m", "assistant", "serve", "--port", str(port)]
        with running_server(command, f"http://127.0.0.1:{port}", "/healthz", env=env) as base:
            body = {"model": "qa", "stream": True, "messages": [{"role": "user", "content": QUESTION}]}
            with httpx.stream("POST", f"{base}/v1/chat/completions", json=body, timeout=60) as response:
                for line in response.iter_lines():
                    if '"content"' in line:
                        break  # the answer has started: the client goes away
            deadline = time.monotonic() + 8
            while not seen["cut"] and time.monotonic() < deadline:
                time.sleep(0.1)
            assert seen["cut"] == 1 and seen["sent"] < 50, seen  # the model server was let go well before the end
            again = httpx.post(f"{base}/v1/search", json={"query": QUESTION}, timeout=60)
            assert again.status_code == 200 and "40 minutes" in again.text


def test_a_full_disk_fails_the_file_with_a_clear_reason_and_loses_nothing(tmp_path: Path) -> None:
    """The disk runs out while a large file is written (a file-size limit on the process stands in for a full
    disk: writes past it fail with EFBIG as they would with ENOSPC)."""
    import resource
    import subprocess

    from tests.reliability.conftest import ROOT, qa_env, state

    data, docs = tmp_path / "data", tmp_path / "docs"
    docs.mkdir()
    (docs / "ferry.txt").write_text("The harbour ferry leaves every 40 minutes from the north pier.", encoding="utf-8")
    assert qa(data, "ingest", str(docs)).returncode == 0
    words = ["tide", "pier", "lamp", "keeper", "boat", "rope", "gull", "quay", "buoy", "mast", "sail", "net"]
    sentences = [" ".join(words[(n * 7 + k) % len(words)] for k in range(12)) + f" number {n}." for n in range(2500)]
    (docs / "logbook.txt").write_text(" ".join(sentences), encoding="utf-8")

    def small_disk() -> None:
        limit = 400_000  # bytes per file: the first file fits, the logbook's chunks and vectors do not
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    full = subprocess.run(
        [sys.executable, "-m", "assistant", "ingest", str(docs)],
        env=qa_env(data),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        preexec_fn=small_disk,
        check=False,
    )
    assert full.returncode == 1, full.stdout + full.stderr
    assert "logbook.txt: not stored, the disk holding the data folder is full" in full.stderr, full.stderr
    assert "Traceback" not in full.stderr
    found = qa(data, "search", "How often does the harbour ferry leave?")
    assert found.returncode == 0 and "40 minutes" in found.stdout  # what was stored before still answers
    again = qa(data, "ingest", str(docs))  # room again: the next ingest finishes the job
    assert again.returncode == 0 and "1 added" in again.stdout and "1 unchanged" in again.stdout, again.stderr
    assert state(data)["consistent"]


def test_a_full_answer_queue_tells_the_client_when_to_retry_and_the_next_request_is_answered(data: Path) -> None:
    import httpx
    import openai

    from tests.fixtures.servers import free_port, running_server
    from tests.reliability.conftest import qa_env

    with slow_stream_server(words=30, gap_s=0.2) as (url, _seen):
        port = free_port()
        env = qa_env(data, {"QA_ANSWERER": "openai", "QA_LLM_BASE_URL": url, "QA_ANSWER_QUEUE": "0"})
        command = [sys.executable, "-m", "assistant", "serve", "--port", str(port)]
        with running_server(command, f"http://127.0.0.1:{port}", "/healthz", env=env) as base:
            body = {"model": "docs", "stream": True, "messages": [{"role": "user", "content": QUESTION}]}
            with httpx.stream("POST", f"{base}/v1/chat/completions", json=body, timeout=60) as first:
                lines = first.iter_lines()
                for line in lines:
                    if '"content"' in line:
                        break  # the first answer is being written and holds the only place
                refused = httpx.post(f"{base}/v1/chat/completions", json={**body, "stream": False}, timeout=60)
                assert refused.status_code == 503, refused.text
                assert int(refused.headers["Retry-After"]) >= 1
                assert (
                    "busy" in refused.json()["error"]["message"]
                    and "QA_ANSWER_QUEUE" in refused.json()["error"]["message"]
                )
                rest = [line for line in lines if line]
            assert rest[-1] == "data: [DONE]" and any('"finish_reason": "stop"' in line for line in rest)
            # The place is free again: the official client (which retries 503s by itself) is answered.
            api = openai.OpenAI(base_url=f"{base}/v1", api_key="none", max_retries=0, timeout=60)
            reply = api.chat.completions.create(model="docs", messages=[{"role": "user", "content": QUESTION}])
            assert reply.choices[0].finish_reason == "stop" and reply.choices[0].message.content
