"""An office manager's day in a real browser (issue 28): a new collection, nine mixed files, page switches,
Back and reload, evidence beside the chat, a refusal that shows what was found, a correction evaluated from
the Evaluation page, a document removed; at 1280x900 and on a 390x844 phone.

Debian chromium drives `streamlit run` on loopback with an empty data folder; the answerer is extractive
(answers are quoted sentences, so what is cited is known; the model is not the point here).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from assistant.index.catalog import Catalog
from assistant.index.folder import catalog_file
from tests.fixtures.documents import write_docx
from tests.fixtures.formats import WRITERS
from tests.fixtures.streamlit_app import app_environment, running_app

pytestmark = pytest.mark.e2e
SHOTS = Path(__file__).resolve().parent / "screenshots"
TYPED_NAME = "Team handbook"
COLLECTION = "team-handbook"
HOLIDAY_QUESTION = "How many days of paid holiday does an employee get?"
SHUTTLE_QUESTION = "How many passengers did the Island Shuttle route carry in 2025?"
OFF_TOPIC_QUESTION = "Who won the 1998 World Cup final?"

HANDBOOK = """# Staff handbook

## 4.2 Holidays

Every employee gets **27 days** of paid holiday a year, on top of public holidays. Up to five unused days
carry over into the next year; the rest lapse at the end of March.

## 4.3 Sick leave

Tell your team lead before half past nine on the first day of illness. A doctor's note is needed from the
fourth day on.

### Parking

Staff park in the rear lot, and visitors use the spaces by the front door.
"""


def write_files(folder: Path) -> list[Path]:
    """Nine files of eight kinds, one of them a scan with no text layer."""
    folder.mkdir(parents=True)
    (folder / "handbook.md").write_text(HANDBOOK, encoding="utf-8")
    write_docx(
        folder / "office_moves.docx",
        [
            "Office moves in spring",
            "The finance team moves to the second floor on 14 April. Desks are labelled the week before.",
        ],
    )
    return [
        folder / "handbook.md",
        folder / "office_moves.docx",
        *(writer(folder / name) for name, writer in WRITERS.items()),
    ]


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    base = tmp_path_factory.mktemp("office")
    files = write_files(base / "from-the-shared-drive")
    data = base / "data"
    env = app_environment({"QA_DATA_DIR": str(data), "QA_ANSWERER": "extractive", "HF_HUB_OFFLINE": "1"})
    with running_app(env) as url:
        yield {"url": url, "files": files, "data": data}


def settled(page: Any) -> None:
    """Wait until the app has finished its run (no 'Running...' indicator)."""
    page.wait_for_function("() => !document.querySelector('[data-testid^=stStatusWidgetRunning]')")
    page.wait_for_timeout(300)


def shot(page: Any, name: str) -> None:
    settled(page)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=False)


def sidebar(page: Any) -> Any:
    return page.locator('[data-testid="stSidebar"]')


def chosen_collection(page: Any) -> str:
    """What the sidebar's collection box shows, e.g. 'team-handbook · 9 documents'."""
    return str(sidebar(page).locator('[data-testid="stSelectbox"]').first.locator("input").input_value())


def expect_collection(page: Any, label: str) -> None:
    settled(page)
    expect(sidebar(page).locator('[data-testid="stSelectbox"]').first.locator("input")).to_have_value(label)


def go_to(page: Any, name: str) -> None:
    """Switch page with the sidebar's page list, as a person does."""
    sidebar(page).locator('[data-testid="stSidebarNav"]').get_by_text(name, exact=True).click()
    settled(page)


def ask(page: Any, question: str) -> Any:
    """Send ``question`` and wait until its saved answer is drawn (each answer has its own feedback controls)."""
    messages = page.locator('[data-testid="stChatMessage"]')
    before = messages.count()
    box = page.get_by_placeholder("Ask a question about your documents")
    box.fill(question)
    box.press("Enter")
    expect(messages).to_have_count(before + 2)
    messages.nth(before).filter(has_text=question).wait_for()
    messages.nth(before + 1).get_by_role("button", name="Correct this answer").wait_for()
    settled(page)
    return page.locator('[data-testid="stChatMessage"]').last


def test_an_office_day(page: Any, office: dict[str, Any]) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    url = office["url"]

    # 1. A first visit: nothing stored yet, and the page says what to do.
    page.goto(url)
    page.get_by_text("has no documents yet").first.wait_for()

    # 2. A collection named in plain words is created under a valid name, and the app says so.
    sidebar(page).get_by_text("New collection").click()
    sidebar(page).get_by_label("Name").fill(TYPED_NAME)
    sidebar(page).get_by_role("button", name="Create collection").click()
    sidebar(page).get_by_text(f"Created the collection {COLLECTION}").wait_for()
    expect_collection(page, f"{COLLECTION} · empty")

    # 3. The Documents page keeps the collection; nine files go in; the sidebar counts them at once.
    go_to(page, "Documents")
    expect_collection(page, f"{COLLECTION} · empty")
    page.locator('input[type="file"]').set_input_files([str(path) for path in office["files"]])
    page.get_by_role("button", name=f"Add 9 files to {COLLECTION}").click()
    page.get_by_text(f"9 files added · collection {COLLECTION}").wait_for(timeout=300_000)
    expect_collection(page, f"{COLLECTION} · 9 documents")
    assert page.get_by_text(re.compile(r"\d+ added")).count() == 0  # the outcome is said once, in words
    shot(page, "office-documents-1280x900.png")

    # 4. Page switches, Back and reload all stay on the collection.
    go_to(page, "Chat")
    expect_collection(page, f"{COLLECTION} · 9 documents")
    page.go_back()
    page.get_by_role("heading", name="Documents").wait_for()
    expect_collection(page, f"{COLLECTION} · 9 documents")
    page.reload()
    expect_collection(page, f"{COLLECTION} · 9 documents")
    go_to(page, "Chat")

    # 5. Example questions come from these documents, not from a news sample.
    settled(page)
    assert page.get_by_role("button", name=re.compile("Russia|Trump|Zelensky")).count() == 0

    # 6. An answer cites its source by name and section; the evidence opens beside the chat and closes back.
    answer = ask(page, HOLIDAY_QUESTION)
    assert "27 days" in answer.inner_text()
    card = answer.locator('[data-testid="stExpander"]').filter(has_text="handbook.md").first
    title = card.locator("summary").inner_text()
    assert "[1]" in title and "Holidays" in title and "chars" not in title and "score" not in title
    assert str(office["data"]) not in answer.inner_text()  # no server paths
    chat_url = page.url
    card.locator("summary").click()
    card.get_by_role("button", name="Open in the document").click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    dialog.locator(".stMarkdownColoredBackground").filter(has_text="27 days").first.wait_for()
    shown = dialog.inner_text()
    assert "Sick leave" in shown and "###" not in shown and "**" not in shown
    assert str(office["data"]) not in shown
    shot(page, "office-evidence-1280x900.png")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert page.url == chat_url and "27 days" in page.locator('[data-testid="stChatMessage"]').last.inner_text()

    # 7. A refusal shows the closest passages found, which a person can open.
    refusal = ask(page, OFF_TOPIC_QUESTION)
    assert "I don't know" in refusal.inner_text()
    refusal.get_by_text("Closest passages found").wait_for()
    assert refusal.locator('[data-testid="stExpander"]').count() >= 1
    shot(page, "office-refusal-1280x900.png")

    # 8. An answer is corrected with a short answer and a note.
    shuttle = ask(page, SHUTTLE_QUESTION)
    assert "96,500" in shuttle.inner_text()
    page.get_by_role("button", name="Correct this answer").last.click()
    page.get_by_label(re.compile("^Short answer")).fill("96,500 passengers")
    page.get_by_label(re.compile("^Note")).fill("From the Routes sheet of the ferry statistics.")
    page.get_by_role("button", name="Save correction").click()
    page.get_by_text(re.compile("Your correction")).wait_for()
    chat_link = page.url

    # 9. The correction is evaluated from the Evaluation page against the collection itself.
    go_to(page, "Evaluation")
    expect_collection(page, f"{COLLECTION} · 9 documents")
    question_set = page.locator('[data-testid="stSelectbox"]').filter(has_text="Question set").locator("input")
    expect(question_set).to_have_value("Corrections from this collection (1)")
    page.get_by_role("button", name="Run evaluation").click()
    page.get_by_text(re.compile("answer_contains|Answer contains", re.IGNORECASE)).first.wait_for(timeout=300_000)
    shot(page, "office-evaluation-1280x900.png")
    collections = [name for name, _, _ in Catalog(catalog_file(office["data"])).records.collections()]
    assert collections == [COLLECTION]  # the run made no collection of its own
    sidebar(page).locator('[data-testid="stSelectbox"]').first.click()
    options = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    assert not any(option.startswith("eval-") for option in options), options

    # 10. Removing a document asks first, then the counts follow.
    go_to(page, "Documents")
    remove = page.get_by_role("button", name=re.compile(r"Remove$"))
    # The innermost block that holds the file's name and one Remove button: that document's row.
    row = page.locator('[data-testid="stVerticalBlock"]').filter(has_text="roof_quote.eml").filter(has=remove).last
    row.get_by_role("button", name=re.compile(r"Remove$")).click()
    page.get_by_role("button", name="Yes, remove it").click()
    page.get_by_text(f"Removed roof_quote.eml from {COLLECTION}.").wait_for()
    expect_collection(page, f"{COLLECTION} · 8 documents")

    # 11. A chat link opened afresh answers from its own collection.
    fresh = page.context.new_page()
    fresh.goto(re.sub(r"([?&])collection=[^&]*&?", r"\1", chat_link))
    fresh.get_by_role("button", name="Correct this answer").last.wait_for()
    expect_collection(fresh, f"{COLLECTION} · 8 documents")
    assert "96,500" in fresh.locator('[data-testid="stChatMessage"]').last.inner_text()

    # 12. On a phone the chat and its evidence stay within the screen.
    fresh.set_viewport_size({"width": 390, "height": 844})
    settled(fresh)
    box = fresh.get_by_placeholder("Ask a question about your documents")
    assert box.bounding_box()["width"] > 200
    shot(fresh, "office-chat-390x844.png")
    card = fresh.locator('[data-testid="stChatMessage"]').last.locator('[data-testid="stExpander"]').first
    card.locator("summary").click()
    card.get_by_role("button", name="Open in the document").click()
    dialog = fresh.get_by_role("dialog")
    dialog.get_by_text("96,500").first.wait_for()
    edges = dialog.bounding_box()
    assert edges["x"] >= 0 and edges["x"] + edges["width"] <= 390
    shot(fresh, "office-evidence-390x844.png")
    fresh.close()
    assert chosen_collection(page).startswith(COLLECTION)
