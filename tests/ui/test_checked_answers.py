"""The chat page shows what the claim check did: left-out sentences explained behind "Why this answer?",
refusals with their reasons and the closest passages found.

Real pipeline and embedding model; only the language model is a scripted OpenAI-compatible server.
"""

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Expander

from assistant import Settings, build_assistant
from tests.fixtures.fake_llm_server import FakeLLM, fake_llm_server
from tests.fixtures.ferry import CRIMEA_QUESTION, PARTIAL_QUESTION, PARTIAL_REPLY, write_ferry_document
from ui.render import CLOSEST_HEADING, CLOSEST_NOTE, REMOVED_HEADING, WHY_LABEL, escape

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


def why_expander(app: AppTest) -> Expander:
    [why] = [expander for expander in app.chat_message[1].expander if expander.label == WHY_LABEL]
    return why


def test_a_partial_answer_explains_the_left_out_sentence_in_a_collapsed_expander(
    scripted_model: Callable[[str], FakeLLM],
) -> None:
    scripted_model(PARTIAL_REPLY)
    app = ask(PARTIAL_QUESTION)
    blocks = markdown_of(app)
    assert "40 minutes" in blocks[0] and "95" not in blocks[0]
    # Nothing struck through, no "draft": the removal is explained in plain words, behind "Why this answer?".
    assert not any("~~" in block or "draft" in block.casefold() or REMOVED_HEADING in block for block in blocks)
    why = why_expander(app)
    [text] = [block.value for block in why.markdown]
    assert escape("“Tickets cost 95 euros.”") in text and escape("the number 95 is not in passage [1]") in text
    [card] = [expander for expander in app.chat_message[1].expander if expander.label != WHY_LABEL]
    assert card.label == "[1] " + escape("harbour_ferry.txt")
    [kept] = app.session_state.messages[-1]["answer"]["unsupported"]
    assert "95" in kept["sentence"] and kept["reason"]


def test_a_refusal_shows_its_reason_and_the_closest_passages_without_asking_the_model(
    scripted_model: Callable[[str], FakeLLM],
) -> None:
    llm = scripted_model(PARTIAL_REPLY)
    app = ask(CRIMEA_QUESTION)
    [info] = app.info
    assert info.value.startswith(escape("I don't know based on the documents")) and "Crimea" in info.value
    blocks = markdown_of(app)
    assert f"##### {CLOSEST_HEADING}" in blocks
    assert CLOSEST_NOTE in [caption.value for caption in app.chat_message[1].caption]
    labels = [expander.label for expander in app.chat_message[1].expander]
    assert labels == ["[1] " + escape("harbour_ferry.txt")]
    assert any("north pier" in block for block in blocks)
    assert not any("Crimea" in str(request) for request in llm.requests)


def test_a_withdrawn_answer_shows_the_refusal_the_passages_and_why(
    scripted_model: Callable[[str], FakeLLM],
) -> None:
    scripted_model("Tickets cost 95 euros [1].")
    app = ask("What do tickets for the harbour ferry cost?")
    [info] = app.info
    assert info.value.startswith(escape("I don't know based on the documents"))
    assert "draft" not in info.value
    assert any(expander.label == "[1] " + escape("harbour_ferry.txt") for expander in app.chat_message[1].expander)
    [text] = [block.value for block in why_expander(app).markdown]
    assert text.startswith("An answer was written from the passages found")
    assert escape("“Tickets cost 95 euros.”") in text and "95" in text.split("—", 1)[1]
    assert not any("~~" in block or "draft" in block.casefold() for block in markdown_of(app))
