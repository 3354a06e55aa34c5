"""Bounded load on a real `qa serve` over the sample corpus: 50 concurrent searches are all answered; 8
concurrent chats with the local model are each answered or told to retry (503 + Retry-After), none is lost,
and the server logs no error."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.fixtures.servers import free_port, wait_until_healthy
from tests.reliability.conftest import ROOT, qa, qa_env

QUESTION = "What does Russia demand?"


@contextmanager
def serving(tmp_path: Path, answerer: str) -> Iterator[tuple[str, Path]]:
    """`qa serve` on the sample corpus; yields its URL and the file its log goes to."""
    data = tmp_path / "data"
    assert qa(data, "ingest", str(ROOT / "eval" / "corpus"), env={"QA_ANSWERER": answerer}).returncode == 0
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "assistant", "serve", "--port", str(port)],
            cwd=ROOT,
            env=qa_env(data, {"QA_ANSWERER": answerer}),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_healthy(f"http://127.0.0.1:{port}/healthz", process)
            yield f"http://127.0.0.1:{port}", log
        finally:
            process.terminate()
            process.wait(timeout=30)


def assert_no_error_logged(log: Path) -> None:
    text = log.read_text(encoding="utf-8")
    assert "Traceback" not in text and "ERROR" not in text and "unexpected error" not in text, text


def test_fifty_concurrent_searches_are_all_answered(tmp_path: Path) -> None:
    with serving(tmp_path, "extractive") as (base, log):
        queries = [QUESTION, "How long does the dough rise?", "When do bees swarm?", "What is Go used for?"] * 13

        def search(query: str) -> httpx.Response:
            return httpx.post(f"{base}/v1/search", json={"query": query, "k": 3}, timeout=120)

        with ThreadPoolExecutor(max_workers=50) as pool:
            responses = list(pool.map(search, queries[:50]))
    assert [r.status_code for r in responses] == [200] * 50
    assert all(r.json()["passages"] for r in responses)
    assert "russia" in responses[0].json()["passages"][0]["source"]
    assert_no_error_logged(log)


@pytest.mark.llm
def test_eight_concurrent_chats_with_the_local_model_are_answered_or_told_to_retry(tmp_path: Path) -> None:
    with serving(tmp_path, "local") as (base, log):
        body = {"model": "docs", "messages": [{"role": "user", "content": QUESTION}]}

        def chat(_: int) -> httpx.Response:
            return httpx.post(f"{base}/v1/chat/completions", json=body, timeout=900)

        with ThreadPoolExecutor(max_workers=8) as pool:
            responses = list(pool.map(chat, range(8)))
    answered = [r for r in responses if r.status_code == 200]
    retry = [r for r in responses if r.status_code == 503]
    assert len(answered) + len(retry) == 8, [r.text for r in responses]
    assert len(answered) >= 5  # one writing plus QA_ANSWER_QUEUE (4) waiting
    for response in answered:
        message = response.json()["choices"][0]["message"]
        assert message["content"] and (message["citations"] or message["refused"])
        if not message["refused"]:
            assert response.json()["usage"]["completion_tokens"] > 0  # counted by llama.cpp
    for response in retry:
        assert int(response.headers["Retry-After"]) >= 1 and "busy" in response.json()["error"]["message"]
    assert_no_error_logged(log)
