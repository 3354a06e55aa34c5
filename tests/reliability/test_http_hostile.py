"""`qa serve` against hostile and careless clients: racing uploads of one name, uploads piling up behind a busy
writer lock, bodies sent without a key or over the size caps, made-up collection names, huge filters, a server
killed mid-upload and unsafe start-up settings. Each test runs a real `qa serve` subprocess on loopback."""

from __future__ import annotations

import hashlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx

from assistant.index.locking import writer_lock
from tests.fixtures.servers import free_port, wait_until_healthy
from tests.reliability.conftest import ROOT, qa_env

NOTE = b"The lighthouse keeper winds the clock every Sunday at noon."
JUNK = bytes(range(256)) * 64  # binary data under a text name


class Served:
    """A running `qa serve`: its URL, its process and the file its output goes to."""

    def __init__(self, url: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.url, self.process, self.log = url, process, log

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmHWM in /proc")


@contextmanager
def serving(data: Path, env: dict[str, str] | None = None, key: str | None = None) -> Iterator[Served]:
    """`qa serve` on ``data`` (extractive answers, the real embedding model) until the block ends."""
    port = free_port()
    log = data.parent / f"serve-{port}.log"
    data.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "assistant", "serve", "--port", str(port)],
            cwd=ROOT,
            env=qa_env(data, env),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_healthy(f"http://127.0.0.1:{port}/healthz", process)
            yield Served(f"http://127.0.0.1:{port}", process, log)
        finally:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)


def upload(url: str, name: str, data: bytes, timeout: float = 120, **params: str) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/documents", files={"files": (name, data, "text/plain")}, params=params, timeout=timeout
    )


def documents(url: str, **params: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{url}/v1/documents", params=params, timeout=30)
    assert response.status_code == 200, response.text
    return list(response.json()["documents"])


def test_two_uploads_of_one_name_at_once_each_get_the_result_of_their_own_bytes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serving(data) as served:
        assert upload(served.url, "first.txt", b"Gulls nest on the breakwater in May.").status_code == 201
        results: dict[str, httpx.Response] = {}

        def send(label: str, body: bytes) -> None:
            results[label] = upload(served.url, "note.txt", body)

        with writer_lock(data, timeout_s=5):  # another writer holds the folder: both uploads wait
            good = threading.Thread(target=send, args=("good", NOTE))
            good.start()
            time.sleep(1)
            junk = threading.Thread(target=send, args=("junk", JUNK))
            junk.start()
            time.sleep(1)
        good.join(120)
        junk.join(120)
        assert results["good"].status_code == 201, results["good"].text
        assert results["good"].json()["results"][0]["status"] == "added"
        assert results["junk"].status_code == 422, results["junk"].text
        assert "binary" in results["junk"].json()["results"][0]["reason"]
        stored = documents(served.url)
        note = [d for d in stored if Path(d["source"]).name == "note.txt"]
        assert [d["sha256"] for d in note] == [hashlib.sha256(NOTE).hexdigest()]
        assert Path(note[0]["source"]).read_bytes() == NOTE
        found = httpx.post(f"{served.url}/v1/search", json={"query": "When is the clock wound?"}, timeout=30)
        assert "every Sunday at noon" in found.json()["passages"][0]["text"]


def test_uploads_waiting_for_the_writer_lock_leave_health_search_and_models_answering(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serving(data, {"QA_WRITER_TIMEOUT_S": "120", "QA_UPLOAD_QUEUE": "4"}) as served:
        assert upload(served.url, "first.txt", NOTE).status_code == 201  # loads the embedding model
        pool = ThreadPoolExecutor(max_workers=50)
        with writer_lock(data, timeout_s=5):
            pending = [
                pool.submit(upload, served.url, f"tide{n}.txt", f"High tide {n} comes at {n} o'clock.".encode())
                for n in range(50)
            ]
            time.sleep(3)  # every upload has arrived and waits, or was told to come back
            started = time.monotonic()
            health = httpx.get(f"{served.url}/healthz", timeout=10)
            models = httpx.get(f"{served.url}/v1/models", timeout=10)
            found = httpx.post(f"{served.url}/v1/search", json={"query": "When is the clock wound?"}, timeout=10)
            answered_s = time.monotonic() - started
            refused = [future.result() for future in pending if future.done()]
        done = [future.result() for future in pending]
        pool.shutdown()
    assert health.status_code == 200 and models.status_code == 200 and found.status_code == 200
    assert answered_s < 10, answered_s
    assert refused and all(r.status_code == 503 and int(r.headers["Retry-After"]) >= 1 for r in refused)
    assert "QA_UPLOAD_QUEUE" in refused[0].json()["error"]["message"]
    stored = [r for r in done if r.status_code == 201]
    assert len(stored) == 5 and len(stored) + len(refused) == 50  # one writing, four waiting, the rest told to retry


def spooled(folder: Path) -> int:
    """Bytes in the files under ``folder`` (a server's TMPDIR)."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def raw_request(url: str, head: str, first: bytes, timeout: float = 10) -> tuple[int, bytes]:
    """Send ``head`` and the start of a body that the headers say is much longer, then read the answer: a
    server that waits for the whole body before answering times out here."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(head.encode() + b"\r\n" + first)
        answer = b""
        try:
            while piece := sock.recv(65536):  # the server closes the connection after its answer
                answer += piece
        except TimeoutError:
            if b"\r\n\r\n" not in answer:
                return 0, answer
        except ConnectionResetError:
            pass
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1") else 0
    return status, answer


def test_a_body_without_a_key_is_refused_before_it_is_read(tmp_path: Path) -> None:
    data = tmp_path / "data"
    spool = tmp_path / "tmp"
    spool.mkdir()
    with serving(data, {"QA_API_KEYS": "s3cret", "TMPDIR": str(spool)}) as served:
        boundary = "b0undary"
        part = f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\n\r\n'
        head = (
            "POST /v1/documents HTTP/1.1\r\nHost: x\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {400 * 1024 * 1024}\r\n"
        )
        status, answer = raw_request(served.url, head, part.encode() + b"x" * 65536)
        assert status == 401 and b"API key" in answer, answer
        head = (
            "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
            f"Content-Type: application/json\r\nContent-Length: {300 * 1024 * 1024}\r\n"
        )
        status, answer = raw_request(served.url, head, b'{"messages": [' + b" " * 65536)
        assert status == 401 and b"API key" in answer, answer
        assert spooled(spool) < 1024 * 1024  # nothing was spooled to disk
        # With the key, a body declared over the cap is refused at once, naming its real size and the setting.
        keyed = head.replace("Host: x\r\n", "Host: x\r\nAuthorization: Bearer s3cret\r\n")
        status, answer = raw_request(served.url, keyed, b'{"messages": [')
        assert status == 413 and b"300.0 MB" in answer and b"QA_MAX_REQUEST_MB" in answer, answer


def multipart_body(boundary: str, files: list[tuple[str, int]]) -> Iterator[bytes]:
    """A multipart body of ``files`` (name, size in bytes), made as it is sent."""
    block = b"The tide tables are printed on the back of the harbour map. " * 1024
    for name, size in files:
        yield f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n\r\n'.encode()
        left = size
        while left:
            piece = block[: min(left, len(block))]
            left -= len(piece)
            yield piece
        yield b"\r\n"
    yield f"--{boundary}--\r\n".encode()


def test_many_large_files_in_one_request_are_refused_by_their_real_size_without_filling_memory(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    spool = tmp_path / "tmp"
    spool.mkdir()
    mb = 1024 * 1024
    env = {"QA_MAX_UPLOAD_REQUEST_MB": "1000", "QA_MAX_UPLOAD_MB": "25", "TMPDIR": str(spool)}
    with serving(data, env) as served:
        assert upload(served.url, "first.txt", NOTE).status_code == 201
        before = served.peak_rss_mb()
        boundary = uuid.uuid4().hex
        files = [(f"chart{n}.txt", 26 * mb) for n in range(30)]
        response = httpx.post(
            f"{served.url}/v1/documents",
            content=multipart_body(boundary, files),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
            timeout=600,
        )
        grown = served.peak_rss_mb() - before
        assert response.status_code == 422, response.text
        reasons = [result["reason"] for result in response.json()["results"]]
        assert len(reasons) == 30 and all("is 26.0 MB, over the 25 MB limit per file" in r for r in reasons), reasons
        assert grown < 100, f"the server's peak memory grew by {grown:.0f} MB"
        assert spooled(spool) < 1024 * 1024
    assert documents_left(data) == ["first.txt"]


def documents_left(data: Path) -> list[str]:
    folder = data / "uploads" / "docs"
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def test_an_upload_over_the_request_cap_gets_413_while_it_streams(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serving(data, {"QA_MAX_UPLOAD_REQUEST_MB": "2"}) as served:
        boundary = "b0undary"
        part = f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\n\r\n'
        host, port = served.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(
                "POST /v1/documents HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                f"Content-Type: multipart/form-data; boundary={boundary}\r\n\r\n".encode()
            )
            sent, answer = 0, b""
            body = part.encode() + b"x" * (64 * 1024)
            sock.settimeout(2)
            # poll, not select: in a long test run this socket's descriptor can be above select()'s 1024.
            readable = select.poll()
            readable.register(sock, select.POLLIN)
            while sent < 50 * 1024 * 1024:
                if readable.poll(0):
                    break  # the server answered before the body ended
                try:
                    sock.sendall(f"{len(body):x}\r\n".encode() + body + b"\r\n")
                except (TimeoutError, BrokenPipeError, ConnectionResetError):
                    break  # the server stopped reading
                sent += len(body)
                body = b"x" * (64 * 1024)
            sock.settimeout(10)
            with suppress(OSError):
                while piece := sock.recv(65536):
                    answer += piece
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert b"over the 2 MB limit" in answer and b"QA_MAX_UPLOAD_REQUEST_MB" in answer, answer
        assert sent < 10 * 1024 * 1024  # refused long before the client finished
    assert not (data / "uploads" / "docs").exists() or documents_left(data) == []


def test_reads_of_an_unknown_collection_create_nothing_and_say_how_to_make_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serving(data) as served:
        assert upload(served.url, "note.txt", NOTE).status_code == 201
        names = [f"made-up-{uuid.uuid4().hex[:8]}" for _ in range(20)]
        for name in names:
            found = httpx.post(f"{served.url}/v1/search", json={"query": "clock", "collection": name}, timeout=30)
            assert found.status_code == 404, found.text
            message = found.json()["error"]["message"]
            assert f"no collection {name!r}" in message and "POST /v1/documents?collection=" in message
            assert "GET /v1/models" in message
        chat = {
            "collection": names[0],
            "messages": [{"role": "user", "content": "When does the keeper wind the clock?"}],
        }
        assert httpx.post(f"{served.url}/v1/chat/completions", json=chat, timeout=30).status_code == 404
        assert httpx.post(f"{served.url}/v1/chat/completions", json={**chat, "stream": True}).status_code == 404
        assert [m["id"] for m in httpx.get(f"{served.url}/v1/models").json()["data"]] == ["docs"]
    listed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import chromadb,sys; print([c.name for c in chromadb.PersistentClient(sys.argv[1]).list_collections()])",
            str(data / "chroma"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "made-up" not in listed.stdout, listed.stdout


def test_a_huge_source_filter_gets_a_clear_422_and_a_large_one_works(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serving(data) as served:
        assert upload(served.url, "note.txt", NOTE).status_code == 201
        source = documents(served.url)[0]["source"]
        many = [f"/nowhere/{n}.txt" for n in range(40_000)]
        refused = httpx.post(f"{served.url}/v1/search", json={"query": "clock", "sources": many}, timeout=60)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["param"] == "sources" and "1000" in refused.json()["error"]["message"]
        fine = httpx.post(
            f"{served.url}/v1/search", json={"query": "clock", "sources": [*many[:999], source]}, timeout=60
        )
        assert fine.status_code == 200 and fine.json()["passages"], fine.text


def test_a_streamed_error_has_the_same_code_as_the_same_request_unstreamed(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]  # a language model server that is down
    env = {"QA_ANSWERER": "openai", "QA_LLM_BASE_URL": f"http://127.0.0.1:{closed}/v1", "QA_SEMANTIC_CHECK": "false"}
    with serving(tmp_path / "data", env) as served:
        assert upload(served.url, "note.txt", NOTE).status_code == 201
        chat = {"model": "docs", "messages": [{"role": "user", "content": "When does the keeper wind the clock?"}]}
        plain = httpx.post(f"{served.url}/v1/chat/completions", json=chat, timeout=60)
        assert plain.status_code == 503 and plain.json()["error"]["code"] == "model_error", plain.text
        streamed = httpx.post(f"{served.url}/v1/chat/completions", json={**chat, "stream": True}, timeout=60)
        assert streamed.status_code == 200, streamed.text
        events = [json.loads(line[6:]) for line in streamed.text.splitlines() if line.startswith("data: {")]
        error = next(event["error"] for event in events if "error" in event)
        assert error == plain.json()["error"], (error, plain.json())


def test_an_upload_killed_while_it_is_ingested_leaves_no_file_behind(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serving(data) as served:
        assert upload(served.url, "note.txt", NOTE).status_code == 201
    with serving(data, {"QA_CRASH_AT": "load"}) as served:
        try:
            upload(served.url, "gulls.txt", b"Gulls nest on the breakwater in May.", timeout=60)
            upload(served.url, "note.txt", b"The keeper now winds the clock on Mondays.", timeout=60)
        except httpx.HTTPError:
            pass  # the server died mid-upload, as intended
        served.process.wait(timeout=30)
    with serving(data) as served:
        listed = documents(served.url)
        assert [Path(d["source"]).name for d in listed] == ["note.txt"]
        assert documents_left(data) == ["note.txt"]
        assert (data / "uploads" / "docs" / "note.txt").read_bytes() == NOTE  # the version the catalog holds
        staging = data / "uploads" / ".staging"
        assert not staging.exists() or list(staging.iterdir()) == []


def test_qa_sources_verify_sees_what_a_killed_upload_left_and_repair_undoes_it(tmp_path: Path) -> None:
    """Without restarting the server: the operator's own check names the unfinished upload and --repair puts
    the folder back to what the catalog holds."""
    data = tmp_path / "data"
    with serving(data) as served:
        assert upload(served.url, "note.txt", NOTE).status_code == 201
    with serving(data, {"QA_CRASH_AT": "load"}) as served:
        with suppress(httpx.HTTPError):  # the server dies mid-upload, as intended
            upload(served.url, "note.txt", b"The keeper now winds the clock on Mondays.", timeout=60)
        served.process.wait(timeout=30)
    assert (data / "uploads" / "docs" / "note.txt").read_bytes() != NOTE  # the new bytes were moved in

    def verify(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "assistant", "sources", "verify", *args],
            cwd=ROOT,
            env=qa_env(data),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    found = verify()
    assert found.returncode == 1 and "unfinished upload" in found.stdout, found
    repaired = verify("--repair")
    assert "Traceback" not in repaired.stderr, repaired.stderr
    assert (data / "uploads" / "docs" / "note.txt").read_bytes() == NOTE  # the version the catalog holds
    assert not list((data / "uploads" / ".staging").iterdir())
    assert verify().returncode == 0


def test_blank_api_keys_and_an_open_public_host_are_refused_at_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    port = str(free_port())

    def serve(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "assistant", "serve", "--port", port, *args],
            cwd=ROOT,
            env=qa_env(data, env),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    blank = serve(env={"QA_API_KEYS": " , "})
    assert blank.returncode != 0 and "QA_API_KEYS" in blank.stderr and "Traceback" not in blank.stderr, blank.stderr
    public = serve("--host", "0.0.0.0")
    assert public.returncode != 0 and "--insecure" in public.stderr and "QA_API_KEYS" in public.stderr, public.stderr
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant", "serve", "--port", port, "--host", "0.0.0.0", "--insecure"],
        cwd=ROOT,
        env=qa_env(data),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}/healthz", process)
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    assert b"without API keys" in err, err


def test_health_names_no_paths_without_the_key(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serving(data, {"QA_API_KEYS": "s3cret"}) as served:
        open_health = httpx.get(f"{served.url}/healthz", timeout=30)
        keyed = httpx.get(f"{served.url}/healthz", headers={"Authorization": "Bearer s3cret"}, timeout=30)
    assert open_health.status_code == 200 and open_health.json()["status"] in ("ok", "degraded")
    assert str(data) not in open_health.text and "detail" not in open_health.text, open_health.text
    assert set(open_health.json()["checks"]) == {"store", "state", "embedding_model", "language_model"}
    assert str(data) in keyed.text


def test_fifty_chats_at_once_are_answered_or_told_when_to_retry(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serving(data, {"QA_ANSWER_QUEUE": "2"}) as served:
        assert upload(served.url, "note.txt", NOTE).status_code == 201
        chat = {"model": "docs", "messages": [{"role": "user", "content": "When does the keeper wind the clock?"}]}
        with ThreadPoolExecutor(max_workers=50) as pool:
            replies = list(
                pool.map(lambda _: httpx.post(f"{served.url}/v1/chat/completions", json=chat, timeout=120), range(50))
            )
    answered = [r for r in replies if r.status_code == 200]
    retry = [r for r in replies if r.status_code == 503]
    assert len(answered) + len(retry) == 50, [r.status_code for r in replies]
    assert answered and all("Sunday" in r.json()["choices"][0]["message"]["content"] for r in answered)
    assert all(int(r.headers["Retry-After"]) >= 1 and r.json()["error"]["code"] == "busy" for r in retry)


def test_upload_names_that_climb_out_stay_in_the_upload_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serving(data) as served:
        for name in ("../../escape.txt", "..\\..\\win.txt", "/etc/cron.d/job.txt", ".hidden.txt"):
            assert upload(served.url, name, NOTE + name.encode()).status_code == 201
    folder = (data / "uploads" / "docs").resolve()
    assert sorted(documents_left(data)) == ["escape.txt", "hidden.txt", "job.txt", "win.txt"]
    assert not (data / "escape.txt").exists() and not (tmp_path / "escape.txt").exists()
    assert all(p.resolve().parent == folder for p in folder.iterdir())
    os.sync()
