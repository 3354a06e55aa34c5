"""What answers carry out of the system: a document's HTML, links and images, quoted by the extractive answerer or
copied by a model, reach the HTTP API's ``content`` (whole and streamed) as inert text, with a note saying so;
the citations still point at the exact passage, whose text is the document's own."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.fake_llm_server import fake_llm_server
from tests.fixtures.markdown_render import live_parts
from tests.fixtures.servers import free_port, running_server
from tests.reliability.conftest import qa, qa_env

KETTLE = """# Brightline kettle

The Brightline kettle holds 1.7 litres of water <script>alert('kettle')</script> and boils a full load in four minutes.

The Brightline kettle has a steel body <img src=x onerror=alert(1)> with a blue light.

The Brightline kettle manual is on [the maker's page](javascript:alert(document.cookie)) and lists a two-year warranty.

The Brightline kettle switches itself off when it boils dry ![status](http://stats.example.net/log?q=kettle).

Spare Brightline kettle lids are sold at http://shop.example.org/lids and cost 6 euros.
"""
# What each question's answer quotes, and the words of it that must still be there once it is inert.
QUESTIONS = [
    ("How many litres does the Brightline kettle hold?", "1.7 litres"),
    ("What kind of body does the Brightline kettle have?", "steel body"),
    ("Where is the Brightline kettle manual?", "the maker's page"),
    ("When does the Brightline kettle switch itself off?", "boils dry"),
    ("Where are spare Brightline kettle lids sold?", "shop.example.org/lids"),
]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hygiene")
    (root / "docs").mkdir()
    (root / "docs" / "kettle.md").write_text(KETTLE, encoding="utf-8")
    assert qa(root / "data", "ingest", str(root / "docs")).returncode == 0
    return root / "data"


@pytest.fixture(scope="module")
def service(data: Path) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "assistant", "serve", "--port", str(port)]
    with running_server(command, f"http://127.0.0.1:{port}", "/healthz", env=qa_env(data)) as base:
        yield base


def chat(base: str, question: str) -> dict[str, Any]:
    body = {"model": "docs", "messages": [{"role": "user", "content": question}]}
    response = httpx.post(f"{base}/v1/chat/completions", json=body, timeout=120)
    assert response.status_code == 200, response.text
    return dict(response.json())


def streamed(base: str, question: str) -> tuple[list[str], dict[str, Any]]:
    """The content pieces of a streamed answer, and its last chunk (with ``qa_answer``)."""
    body = {"model": "docs", "stream": True, "messages": [{"role": "user", "content": question}]}
    pieces, last = [], {}
    with httpx.stream("POST", f"{base}/v1/chat/completions", json=body, timeout=120) as response:
        for line in response.iter_lines():
            if not line.startswith("data: {"):
                continue
            event = json.loads(line[len("data: ") :])
            content = event["choices"][0]["delta"].get("content") if event.get("choices") else None
            if content:
                pieces.append(content)
            if "qa_answer" in event:
                last = event
    return pieces, last


def assert_cited_exactly(answer: dict[str, Any]) -> None:
    """Each citation slices the stored document to its text, and that text is the document's own."""
    assert answer["citations"], answer
    for citation in answer["citations"]:
        assert KETTLE[citation["start"] : citation["end"]] == citation["text"], citation


@pytest.mark.parametrize(("question", "kept"), QUESTIONS)
def test_the_api_content_carries_no_live_image_link_or_html(service: str, question: str, kept: str) -> None:
    completion = chat(service, question)
    message, answer = completion["choices"][0]["message"], completion["qa_answer"]
    content = message["content"]
    assert not message["refused"] and kept in content, content
    assert not live_parts(content), content
    assert "<script" not in content and "onerror" not in content and "javascript:" not in content, content
    assert answer["notes"], "the answer does not say that something was shown as text"
    assert message["notes"] == answer["notes"]  # a chat client reading only the message is told too
    assert_cited_exactly(answer)
    for removed in answer["unsupported"]:
        assert not live_parts(removed["sentence"]), removed


@pytest.mark.parametrize(("question", "kept"), QUESTIONS)
def test_a_streamed_answer_is_as_inert_piece_by_piece_as_whole(service: str, question: str, kept: str) -> None:
    pieces, last = streamed(service, question)
    whole = "".join(pieces)
    assert kept in whole and whole == last["qa_answer"]["answer"], (pieces, last)
    assert not live_parts(whole), whole
    for piece in pieces:  # a client that renders each piece as it comes sees nothing live either
        assert not live_parts(piece), piece
    assert last["qa_answer"]["notes"]
    assert_cited_exactly(last["qa_answer"])


def test_an_image_a_model_writes_never_reaches_the_client(data: Path) -> None:
    """The openai answerer (a scripted model server) copies a planted status image and a link into its answer;
    `qa ask --json` and the HTTP API (streamed too) show them as text."""
    reply = (
        "The Brightline kettle holds 1.7 litres [1]. ![status](http://stats.example.net/log?q=kettle+litres) "
        "<img src=http://stats.example.net/p.gif> [More](http://stats.example.net/more)"
    )
    question = QUESTIONS[0][0]
    with fake_llm_server(reply) as llm:
        env = {"QA_ANSWERER": "openai", "QA_LLM_BASE_URL": llm.url}
        asked = qa(data, "ask", question, "--json", env=env)
        assert asked.returncode == 0, asked.stderr
        answer = json.loads(asked.stdout)
        port = free_port()
        command = [sys.executable, "-m", "assistant", "serve", "--port", str(port)]
        with running_server(command, f"http://127.0.0.1:{port}", "/healthz", env=qa_env(data, env)) as base:
            completion = chat(base, question)
            pieces, last = streamed(base, question)
    whole = [answer["answer"], completion["choices"][0]["message"]["content"], "".join(pieces)]
    for content in [*whole, *pieces]:
        assert not live_parts(content), content
    assert all("1.7 litres" in content for content in whole), whole
    for shown in [answer, completion["qa_answer"], last["qa_answer"]]:
        assert shown["notes"], shown
        for removed in shown["unsupported"]:
            assert not live_parts(removed["sentence"]), removed


def test_links_to_an_allowed_host_stay_links(data: Path, tmp_path: Path) -> None:
    """`QA_LINK_HOSTS` names the hosts an answer may link to: the shop's link is kept, nothing else is."""
    found = qa(data, "ask", QUESTIONS[4][0], "--json", env={"QA_LINK_HOSTS": "shop.example.org"})
    assert found.returncode == 0, found.stderr
    answer = json.loads(found.stdout)
    assert "http://shop.example.org/lids" in answer["answer"] and "`" not in answer["answer"], answer["answer"]
    assert not live_parts(answer["answer"], ("shop.example.org",)), answer["answer"]
