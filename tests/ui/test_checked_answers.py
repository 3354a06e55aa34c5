"""The chat page shows what the claim check did: removed sentences with their reasons, refusals with theirs.

Real pipeline and embedding model; only the language model is a scripted OpenAI-compatible server.
"""

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from assistant import Settings, build_assistant
from tests.fixtures.fake_llm_server import FakeLLM, fake_llm_server
from tests.fixtures.ferry import CRIMEA_QUESTION, PARTIAL_QUESTION, PARTIAL_REPLY, write_ferry_document
from ui.render import REMOVED_HEADING, escape

CHAT = Path(__file__).resolve().parents[2] / "ui" / "Chat.py"


@pytest.fixture
def ferry_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The ferry document ingested into a temp collection the app reads."""
    data = tmp_path / "data"
    monkeypatch.setenv("QA_DATA_DIR", str(data))
    monkeypatch.setenv("QA_COLLECTION", "ferry")
    build_assistant(Settings(data_dir=data, collection="ferry", answerer="extractive")).ingest(
        [write_ferry_document(tmp_path / "docs")]
    )
    return data


@pytest.fixture
def scripted_model(ferry_data: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], FakeLLM]]:
    """Start a fake LLM server with a given reply and point the app's openai answerer at it."""
    with ExitStack() as servers:

        def start(reply: str) -> FakeLLM:
            llm = servers.enter_context(fake_llm_server(reply))
            monkeypatch.setenv("QA_ANSWERER", "openai")
            monkeypatch.setenv("QA_LLM_BASE_URL", llm.url)
            return llm

        yield start


def ask(question: str) -> AppTest:
    app = AppTest.from_file(str(CHAT), default_timeout=120)
    app.run()
    app.chat_input[0].set_value(question).run()
    assert not app.exception and not app.error
    return app


def markdown_of(app: AppTest) -> list[str]:
    return [block.value for block in app.chat_message[1].markdown]


def test_a_partial_answer_lists_the_removed_sentence_with_its_reason(scripted_model: Callable[[str], FakeLLM]) -> None:
    scripted_model(PARTIAL_REPLY)
    app = ask(PARTIAL_QUESTION)
    blocks = markdown_of(app)
    assert "40 minutes" in blocks[0] and "95" not in blocks[0]
    assert any(REMOVED_HEADING in block for block in blocks)
    [removed] = [block for block in blocks if block.startswith(":red-background[~~")]
    struck, reason = removed.split("~~] — ")
    assert escape("Tickets cost 95 euros [1].") in struck
    assert "95" in reason
    [kept] = app.session_state.messages[-1]["answer"]["unsupported"]
    assert "95" in kept["sentence"] and kept["reason"]


def test_a_refusal_shows_its_reason_without_asking_the_model(scripted_model: Callable[[str], FakeLLM]) -> None:
    llm = scripted_model(PARTIAL_REPLY)
    app = ask(CRIMEA_QUESTION)
    [info] = app.info
    assert info.value.startswith(escape("I don't know based on the documents")) and "Crimea" in info.value
    assert not any(REMOVED_HEADING in block for block in markdown_of(app))
    assert not any("Crimea" in str(request) for request in llm.requests)


def test_a_withdrawn_draft_shows_the_refusal_and_the_removed_sentence(
    scripted_model: Callable[[str], FakeLLM],
) -> None:
    scripted_model("Tickets cost 95 euros [1].")
    app = ask("What do tickets for the harbour ferry cost?")
    [info] = app.info
    assert info.value.startswith(escape("I don't know based on the documents"))
    blocks = markdown_of(app)
    assert any(REMOVED_HEADING in block for block in blocks)
    assert any(block.startswith(":red-background[~~") and "95" in block for block in blocks)
