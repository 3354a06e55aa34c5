"""What the claim check did, as a user sees it: a removed sentence explained under "Why this answer?", a refusal
with its reason.

The app runs for real (streamlit, Chroma, the packaged embedding model, the claim check); only the language
model is faked, by a scripted OpenAI-compatible server on loopback, so the wrong sentence is deterministic.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import Settings, build_assistant
from tests.fixtures.fake_llm_server import FakeLLM, fake_llm_server
from tests.fixtures.ferry import CRIMEA_QUESTION, PARTIAL_QUESTION, PARTIAL_REPLY, write_ferry_document
from tests.fixtures.streamlit_app import app_environment, ask, running_app
from ui.render import WHY_LABEL

pytestmark = pytest.mark.e2e
SHOTS = Path(__file__).resolve().parent / "screenshots"
REFUSAL_START = "I don't know based on the documents"


@pytest.fixture(scope="module")
def scripted_llm() -> Iterator[FakeLLM]:
    """The model's only reply: one true sentence about the ferry and one wrong price (as the claim check's
    verifier it agrees, so what is removed is removed by the check's own rules)."""
    with fake_llm_server(PARTIAL_REPLY) as llm:
        yield llm


@pytest.fixture(scope="module")
def ferry_app(browser: object, scripted_llm: FakeLLM, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app over the ferry document, answering with the openai answerer against the scripted server."""
    root = tmp_path_factory.mktemp("claim-check")
    data = root / "data"
    build_assistant(Settings(data_dir=data, collection="ferry", answerer="extractive")).ingest(
        [write_ferry_document(root / "docs")]
    )
    env = app_environment(
        {
            "QA_DATA_DIR": str(data),
            "QA_COLLECTION": "ferry",
            "QA_ANSWERER": "openai",
            "QA_LLM_BASE_URL": scripted_llm.url,
        }
    )
    with running_app(env) as url:
        yield url


def answer_message(page: object) -> object:
    """The assistant's chat message (the second one: the question comes first)."""
    return page.locator('[data-testid="stChatMessage"]').nth(1)  # type: ignore[attr-defined]


def screenshot(page: object, name: str) -> None:
    """A tall picture with the question at the top, so the answer and what was removed fit in one image."""
    SHOTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 1100})  # type: ignore[attr-defined]
    page.locator('[data-testid="stChatMessage"]').first.scroll_into_view_if_needed()  # type: ignore[attr-defined]
    page.screenshot(path=str(SHOTS / name))  # type: ignore[attr-defined]


def test_a_removed_sentence_is_explained_under_why_this_answer(
    page: object, ferry_app: str, scripted_llm: FakeLLM
) -> None:
    ask(page, ferry_app, PARTIAL_QUESTION)
    message = answer_message(page)
    why = message.locator('[data-testid="stExpander"]').filter(has_text=WHY_LABEL)  # type: ignore[attr-defined]
    why.wait_for()
    assert any(PARTIAL_QUESTION in str(request) for request in scripted_llm.requests)
    answer_text = message.locator('[data-testid="stMarkdownContainer"]').first.inner_text()  # type: ignore[attr-defined]
    assert "40 minutes" in answer_text and "95" not in answer_text
    why.locator("summary").click()
    explained = why.get_by_text("Tickets cost 95 euros").first
    explained.wait_for(state="visible")
    # Said in plain words, never as a struck-through draft that a reader might take for the answer.
    assert message.locator("del, s").count() == 0  # type: ignore[attr-defined]
    assert "draft" not in why.inner_text().casefold() and "95" in why.inner_text()
    screenshot(page, "claim-check-removed-sentence.png")


# Every 20 ms, until the checked answer with its 'Why this answer?' is shown, the answer message's text is kept.
WATCH_ANSWER = """() => {
  window.__seen = [];
  const timer = setInterval(() => {
    const message = document.querySelectorAll('[data-testid="stChatMessage"]')[1];
    if (!message) return;
    if (message.innerText.includes(%r)) { clearInterval(timer); return; }
    window.__seen.push(message.innerText);
  }, 20);
}"""


def test_a_withdrawn_sentence_is_never_displayed_while_the_answer_streams(
    page: object, ferry_app: str, scripted_llm: FakeLLM
) -> None:
    page.goto(ferry_app)  # type: ignore[attr-defined]
    box = page.get_by_placeholder("Ask a question about your documents")  # type: ignore[attr-defined]
    box.fill(PARTIAL_QUESTION)
    page.evaluate(WATCH_ANSWER % WHY_LABEL)  # type: ignore[attr-defined]
    box.press("Enter")
    answer_message(page).get_by_text(WHY_LABEL).wait_for()  # type: ignore[attr-defined]
    seen = page.evaluate("window.__seen")  # type: ignore[attr-defined]
    assert seen, "the answer message was never seen before it was complete"
    assert not any("95" in text for text in seen), [text for text in seen if "95" in text][:1]


def test_a_refusal_shows_its_reason(page: object, ferry_app: str, scripted_llm: FakeLLM) -> None:
    ask(page, ferry_app, CRIMEA_QUESTION)
    refusal = answer_message(page).locator('[data-testid="stAlert"] [data-testid="stMarkdownContainer"]')  # type: ignore[attr-defined]
    refusal.wait_for()
    text = refusal.inner_text()
    assert text.strip().startswith(REFUSAL_START) and "Crimea" in text
    assert not any("Crimea" in str(request) for request in scripted_llm.requests)
    screenshot(page, "claim-check-refusal.png")
