"""The app in a real browser: Debian chromium driven by playwright against `streamlit run` on loopback."""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant import Settings, build_assistant
from tests.fixtures.streamlit_app import app_environment, ask, running_app

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(__file__).resolve().parent / "screenshots"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    seed = ROOT.parent / "shared" / "seed-corpus"
    if not seed.is_dir():
        pytest.skip(f"seed corpus not found at {seed}")
    data = tmp_path_factory.mktemp("e2e-data")
    build_assistant(Settings(data_dir=data, collection="e2e", answerer="extractive")).ingest([seed])
    env = app_environment({"QA_DATA_DIR": str(data), "QA_COLLECTION": "e2e", "QA_ANSWERER": "extractive"})
    with running_app(env) as url:
        yield url


def test_question_gets_a_cited_answer_with_a_highlighted_source(page: object, app_url: str) -> None:
    ask(page, app_url, "What does Russia demand?")
    card = page.locator('[data-testid="stExpander"]').filter(has_text="ukraine_nato_news.txt").first  # type: ignore[attr-defined]
    card.wait_for()
    answer = page.locator('[data-testid="stChatMessage"]').nth(1)  # type: ignore[attr-defined]
    assert "neutrality" in answer.inner_text()
    cards = page.locator('[data-testid="stExpander"]')  # type: ignore[attr-defined]
    for index in range(cards.count()):
        cards.nth(index).locator("summary").click()
    highlight = page.locator(".stMarkdownColoredBackground").filter(has_text="neutrality").first  # type: ignore[attr-defined]
    highlight.wait_for(state="visible")
    assert "demilitarization" in highlight.inner_text()
    SHOTS.mkdir(exist_ok=True)
    # Streamlit scrolls inside its own container: a tall window with the question at the top shows the
    # question, the cited answer and the opened cards in one picture.
    page.set_viewport_size({"width": 1280, "height": 1800})  # type: ignore[attr-defined]
    page.locator('[data-testid="stChatMessage"]').first.scroll_into_view_if_needed()  # type: ignore[attr-defined]
    page.screenshot(path=str(SHOTS / "chat-answer.png"))  # type: ignore[attr-defined]


def test_uploaded_document_can_be_asked_about(page: object, app_url: str, tmp_path: Path) -> None:
    doc = tmp_path / "lighthouse.txt"
    doc.write_text("The Carrow lighthouse lamp was automated in 1989 after 120 years of keepers.", encoding="utf-8")
    page.goto(f"{app_url}/Documents")  # type: ignore[attr-defined]
    page.locator('input[type="file"]').set_input_files(str(doc))  # type: ignore[attr-defined]
    page.get_by_role("button", name=re.compile("^Add 1 file to")).click()  # type: ignore[attr-defined]
    page.get_by_text("1 file added").first.wait_for()  # type: ignore[attr-defined]
    ask(page, app_url, "When was the Carrow lighthouse lamp automated?")
    page.get_by_text("lighthouse.txt").first.wait_for()  # type: ignore[attr-defined]
    assert "1989" in page.locator('[data-testid="stChatMessage"]').nth(1).inner_text()  # type: ignore[attr-defined]


def test_markup_in_a_document_never_runs(page: object, app_url: str, tmp_path: Path) -> None:
    doc = tmp_path / "payload.md"
    doc.write_text(
        "The harbour ferry timetable changes in May. <script>window.__pwned = 1; document.title = 'pwned'</script> "
        '<img src=x onerror="window.__pwned = 2"> The harbour ferry leaves every 40 minutes.',
        encoding="utf-8",
    )
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)  # type: ignore[attr-defined]
    page.goto(f"{app_url}/Documents")  # type: ignore[attr-defined]
    page.locator('input[type="file"]').set_input_files(str(doc))  # type: ignore[attr-defined]
    page.get_by_role("button", name=re.compile("^Add 1 file to")).click()  # type: ignore[attr-defined]
    page.get_by_text("1 file added").first.wait_for()  # type: ignore[attr-defined]
    ask(page, app_url, "How often does the harbour ferry leave?")
    card = page.locator('[data-testid="stExpander"]').filter(has_text="payload.md").first  # type: ignore[attr-defined]
    card.wait_for()
    card.locator("summary").click()
    card.get_by_text("onerror", exact=False).first.wait_for(state="visible")
    assert page.evaluate("window.__pwned") is None  # type: ignore[attr-defined]
    assert page.title() != "pwned" and not dialogs  # type: ignore[attr-defined]
    assert page.locator("img[src='x']").count() == 0  # type: ignore[attr-defined]
    # Opened beside the chat, the document is formatted, and its markup is still text.
    card.get_by_role("button", name="Open in the document").click()
    dialog = page.get_by_role("dialog")  # type: ignore[attr-defined]
    dialog.get_by_text("onerror", exact=False).first.wait_for(state="visible")
    assert page.evaluate("window.__pwned") is None and not dialogs  # type: ignore[attr-defined]
    page.keyboard.press("Escape")  # type: ignore[attr-defined]
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "markup-as-text.png"), full_page=True)  # type: ignore[attr-defined]
