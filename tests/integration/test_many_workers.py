"""Scale-out: two `qa serve` processes (one of them with two workers) share one real `chroma run` server and
one data folder. Chroma is stopped mid-test and started again: while it is down requests fail at once with a
message naming its URL and /healthz says degraded; once it is back everything works without a restart."""

from __future__ import annotations

import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import httpx

from tests.fixtures.servers import (
    chroma_server,
    free_port,
    running_server,
)
from tests.reliability.conftest import qa_env

FERRY = "The harbour ferry leaves every 40 minutes from the north pier."
LAMP = "The lighthouse lamp was automated in 1989 and is serviced each spring."


def upload(base: str, name: str, text: str) -> httpx.Response:
    return httpx.post(f"{base}/v1/documents", files={"files": (name, text.encode(), "text/plain")}, timeout=120)


def search(base: str, query: str) -> httpx.Response:
    return httpx.post(f"{base}/v1/search", json={"query": query, "k": 1}, timeout=120)


def test_two_servers_share_a_chroma_server_that_goes_down_and_comes_back(tmp_path: Path) -> None:
    chroma_port = free_port()
    chroma_url = f"http://127.0.0.1:{chroma_port}"
    env = qa_env(tmp_path / "data", {"QA_CHROMA_URL": chroma_url})
    with ExitStack() as stack:
        store = ExitStack()
        stack.callback(store.close)
        store.enter_context(chroma_server(tmp_path / "chroma", chroma_port))
        servers = []
        for workers in ("2", "1"):
            port = free_port()
            command = [sys.executable, "-m", "assistant", "serve", "--port", str(port), "--workers", workers]
            servers.append(
                stack.enter_context(running_server(command, f"http://127.0.0.1:{port}", "/healthz", env=env))
            )
        first, second = servers
        assert upload(first, "ferry.txt", FERRY).status_code == 201
        assert upload(second, "lamp.txt", LAMP).status_code == 201
        for _ in range(4):  # several requests, so that both workers of the first server answer some
            assert "40 minutes" in search(second, "How often does the ferry leave?").json()["passages"][0]["text"]
            assert "1989" in search(first, "When was the lamp automated?").json()["passages"][0]["text"]
        assert httpx.get(f"{first}/healthz", timeout=60).json()["status"] == "ok"

        store.close()  # Chroma goes down
        for base in servers:
            down = search(base, "How often does the ferry leave?")
            assert down.status_code == 503, down.text
            assert f"Chroma server at {chroma_url}" in down.json()["error"]["message"]
            failed = upload(base, "gulls.txt", "Gulls nest on the breakwater in May.")
            assert failed.status_code == 503 and chroma_url in failed.json()["error"]["message"], failed.text
            health = httpx.get(f"{base}/healthz", timeout=60).json()
            assert health["status"] == "degraded"
            assert health["checks"]["store"]["status"] == "down" and chroma_url in health["checks"]["store"]["detail"]
            assert health["checks"]["embedding_model"]["status"] == "ok"
            assert health["checks"]["language_model"]["status"] == "ok"
        assert not (tmp_path / "data" / "uploads" / "docs" / "gulls.txt").exists()

        with chroma_server(tmp_path / "chroma", chroma_port):  # back, on the same folder: nothing restarted
            for base in servers:
                assert httpx.get(f"{base}/healthz", timeout=60).json()["status"] == "ok"
                assert "1989" in search(base, "When was the lamp automated?").json()["passages"][0]["text"]
            assert upload(second, "gulls.txt", "Gulls nest on the breakwater in May.").status_code == 201
            assert "May" in search(first, "When do gulls nest?").json()["passages"][0]["text"]
            chat = {"model": "docs", "messages": [{"role": "user", "content": "How often does the ferry leave?"}]}
            answer = httpx.post(f"{first}/v1/chat/completions", json=chat, timeout=120).json()
            assert (
                "40 minutes" in answer["choices"][0]["message"]["content"]
                and answer["choices"][0]["message"]["citations"]
            )


def test_several_workers_need_a_chroma_server(tmp_path: Path) -> None:
    env = qa_env(tmp_path / "data")
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "serve", "--workers", "2", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1 and "needs a Chroma server" in done.stderr and "QA_CHROMA_URL" in done.stderr
