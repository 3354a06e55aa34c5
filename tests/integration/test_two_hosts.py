"""More than one machine: two `qa serve` processes with separate, empty local data folders (two "hosts") share one
Chroma server and one PostgreSQL database (QA_DATABASE_URL), as two replicas behind a load balancer would.

What one host stores the other answers from at once, with the same citations; a conversation moves between them;
a host killed mid-upload loses nothing and leaves the stores consistent after the next write; two uploads at
once through the two hosts both land."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg

from tests.fixtures.servers import chroma_server, free_port, wait_until_healthy
from tests.reliability.conftest import qa_env

FERRY = "The harbour ferry leaves every 40 minutes from the north pier, and the last one sails at 23:10."
LAMP = "The lighthouse lamp was automated in 1989 and is serviced each spring by two keepers."
GULLS = "Herring gulls nest on the breakwater in May and leave with their young in late August."
OWLS = "Barn owls hunt over the salt marsh at dusk and roost in the old chapel tower."


@contextmanager
def host(env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """One app server ("host") on a free loopback port; yields its URL and process, stopped afterwards."""
    port = free_port()
    command = [sys.executable, "-m", "assistant", "serve", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(f"{base}/healthz", process, timeout=180)
        yield base, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def upload(base: str, name: str, text: str) -> httpx.Response:
    return httpx.post(f"{base}/v1/documents", files={"files": (name, text.encode(), "text/plain")}, timeout=300)


def passages(base: str, query: str, k: int = 3) -> list[dict[str, Any]]:
    response = httpx.post(f"{base}/v1/search", json={"query": query, "k": k}, timeout=60)
    assert response.status_code == 200, response.text
    return list(response.json()["passages"])


def ask(base: str, question: str, conversation: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"model": "docs", "messages": [{"role": "user", "content": question}]}
    if conversation:
        body["conversation_id"] = conversation
    response = httpx.post(f"{base}/v1/chat/completions", json=body, timeout=120)
    assert response.status_code == 200, response.text
    return dict(response.json())


def cited(answer: dict[str, Any]) -> list[tuple[str, int, int]]:
    return [(c["source"], c["start"], c["end"]) for c in answer["choices"][0]["message"]["citations"]]


def verify(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant", "sources", "verify"],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def writer_lock_held(database_url: str) -> bool:
    """Whether some server holds the store's writer lock (an ingest is under way)."""
    from assistant.index.postgres.locking import WRITER_LOCK

    with psycopg.connect(database_url, autocommit=True) as connection:
        row = connection.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = %s", (WRITER_LOCK,)
        ).fetchone()
    return bool(row and row[0])


def pending_vectors(database_url: str) -> int:
    """How many vectors a writer noted for deletion unless its commit lists them (sent to Chroma, or about to be)."""
    with psycopg.connect(database_url, autocommit=True) as connection:
        row = connection.execute("SELECT count(*) FROM pending_deletes").fetchone()
    return int(row[0]) if row else 0


def long_report(paragraphs: int) -> str:
    """A long document of distinct paragraphs (an upload that takes seconds to embed), its last words unique."""
    lines = [
        f"Section {n}. The tide table for berth {n} lists a rise of {n % 7 + 1} metres at station {n * 13}, "
        f"and the dredging crew number {n} checks the buoy chain each morning before the pilots board."
        for n in range(paragraphs)
    ]
    return "\n\n".join(lines) + "\n\nThe zeppelin mooring mast was dismantled in the final section."


def test_two_hosts_share_one_chroma_server_and_one_postgres(tmp_path: Path, postgres_url: str) -> None:
    with ExitStack() as stack:
        chroma_url = stack.enter_context(chroma_server(tmp_path / "chroma"))
        shared = {"QA_CHROMA_URL": chroma_url, "QA_DATABASE_URL": postgres_url}
        env_a = qa_env(tmp_path / "host-a" / "data", shared)
        env_b = qa_env(tmp_path / "host-b" / "data", shared)
        a, process_a = stack.enter_context(host(env_a))
        b, _ = stack.enter_context(host(env_b))

        # A file uploaded through A is answered through B within a second, citing the same characters.
        assert upload(a, "ferry.txt", FERRY).status_code == 201
        stored = time.monotonic()
        while not any("40 minutes" in p["text"] for p in passages(b, "How often does the ferry leave?")):
            assert time.monotonic() - stored < 1.0, "host B did not find host A's upload within 1 s"
            time.sleep(0.05)
        on_a, on_b = (
            ask(a, "How often does the harbour ferry leave?"),
            ask(b, "How often does the harbour ferry leave?"),
        )
        assert "40 minutes" in on_b["choices"][0]["message"]["content"]
        assert cited(on_a) == cited(on_b) and cited(on_b)

        # A conversation started on A continues on B, and either host shows all of it.
        made = httpx.post(f"{a}/v1/conversations", json={"title": "Harbour"}, timeout=30)
        assert made.status_code == 201, made.text
        conversation = made.json()["id"]
        ask(a, "When does the last harbour ferry sail?", conversation)
        follow_up = ask(b, "And where does it leave from?", conversation)
        assert follow_up["conversation_id"] == conversation
        assert "north pier" in follow_up["choices"][0]["message"]["content"]
        for base in (a, b):
            kept = httpx.get(f"{base}/v1/conversations/{conversation}", timeout=30).json()
            assert [m["role"] for m in kept["messages"]] == ["user", "assistant", "user", "assistant"]
            assert kept["messages"][2]["content"] == "And where does it leave from?"

        # Two uploads at once, one through each host: both land, and both hosts find both.
        outcomes: dict[str, int] = {}
        threads = [
            threading.Thread(target=lambda: outcomes.update(a=upload(a, "lamp.txt", LAMP).status_code)),
            threading.Thread(target=lambda: outcomes.update(b=upload(b, "gulls.txt", GULLS).status_code)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert outcomes == {"a": 201, "b": 201}
        for base in (a, b):
            assert "1989" in passages(base, "When was the lighthouse lamp automated?")[0]["text"]
            assert "May" in passages(base, "When do herring gulls nest?")[0]["text"]

        # A is killed (SIGKILL) in the middle of an upload, once it holds the writer lock and has sent vectors.
        before = {name: passages(b, question)[0]["text"] for name, question in (("ferry", "ferry"), ("lamp", "lamp"))}
        killed = threading.Thread(target=lambda: _ignore_errors(lambda: upload(a, "tides.txt", long_report(1500))))
        killed.start()
        deadline = time.monotonic() + 120
        while not (writer_lock_held(postgres_url) and pending_vectors(postgres_url)):
            assert time.monotonic() < deadline, "host A never started writing the long upload's vectors"
            time.sleep(0.02)
        os.kill(process_a.pid, signal.SIGKILL)
        process_a.wait(timeout=30)
        killed.join(timeout=60)
        assert not writer_lock_held(postgres_url), "the killed host's writer lock was not released"

        # Nothing of the half-written file is searchable; nothing stored before is lost.
        assert not any(
            "zeppelin" in p["text"] or "dredging crew" in p["text"] for p in passages(b, "zeppelin dredging")
        )
        assert {name: passages(b, name)[0]["text"] for name in before} == before
        listed = httpx.get(f"{b}/v1/documents", timeout=30).json()["documents"]
        assert sorted(Path(d["source"]).name for d in listed) == ["ferry.txt", "gulls.txt", "lamp.txt"]

        # A's vectors already sent are noted for deletion (the check says so), and the next write through B
        # deletes them: the stores check out consistent.
        interrupted = verify(env_b)
        assert interrupted.returncode == 1 and "pending by an interrupted writer" in interrupted.stdout, (
            interrupted.stdout
        )
        assert upload(b, "owls.txt", OWLS).status_code == 201
        checked = verify(env_b)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "consistent" in checked.stdout and "4 sources" in checked.stdout


def _ignore_errors(call: Any) -> None:
    with contextlib.suppress(httpx.HTTPError):  # the host is killed under the request
        call()
