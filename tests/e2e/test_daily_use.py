"""A day of use in a real browser: saved chats, evidence in context, collections, feedback to gold, comparing runs.

Debian chromium drives `streamlit run` on loopback; the answerer is extractive (the model is not the point).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from assistant import Settings, build_assistant
from assistant.chats.feedback import FeedbackStore
from assistant.index.catalog import Catalog
from assistant.index.folder import catalog_file
from tests.fixtures.streamlit_app import app_environment, ask, running_app
from ui.render import escape

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(__file__).resolve().parent / "screenshots"
COLLECTION = "team"
PDF_QUESTION = "How often does the ferry to Inishcarra leave?"


def write_ferry_pdf(path: Path) -> None:
    """A two-page PDF; the answer sits on page 2."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(
        0,
        8,
        "Harbour notes. The old pier of Dunmore was rebuilt in stone after the winter storm. "
        "Fishing boats moor on its east side and the lifeboat station sits at its end.",
    )
    pdf.add_page()
    pdf.multi_cell(
        0,
        8,
        "The Dunmore ferry service runs between the two islands. The ferry to Inishcarra leaves every "
        "40 minutes from the north quay. Tickets are sold on board and cost four euro for adults. "
        "In winter the last crossing is at six in the evening.",
    )
    pdf.output(str(path))


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The project's sample corpus plus a generated PDF, copied into one folder and ingested."""
    base = tmp_path_factory.mktemp("daily")
    docs = base / "docs"
    shutil.copytree(ROOT / "eval" / "corpus", docs)
    write_ferry_pdf(docs / "ferry_timetable.pdf")
    data = base / "data"
    build_assistant(Settings(data_dir=data, collection=COLLECTION, answerer="extractive")).ingest([docs])
    env = app_environment(
        {"QA_DATA_DIR": str(data), "QA_COLLECTION": COLLECTION, "QA_ANSWERER": "extractive", "HF_HUB_OFFLINE": "1"}
    )
    return {"base": base, "docs": docs, "data": data, "env": env}


@pytest.fixture(scope="module")
def app_url(workspace: dict[str, Any]) -> Iterator[str]:
    with running_app(workspace["env"]) as url:
        yield url


def chat_id(url: str) -> str:
    match = re.search(r"chat=(\w+)", url)
    assert match, url
    return match.group(1)


def answered(page: Any, question: str) -> Any:
    """Wait until the saved answer to ``question`` is drawn (with its feedback controls) and return it."""
    page.get_by_role("button", name="Correct this answer").last.wait_for()
    return page.locator('[data-testid="stChatMessage"]').last


def shot(page: Any, name: str, full_page: bool = True) -> None:
    """Save a screenshot once the app has finished its run (no 'Running...' indicator)."""
    page.wait_for_function("() => !document.querySelector('[data-testid^=stStatusWidgetRunning]')")
    page.wait_for_timeout(300)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=full_page)


def test_a_conversation_survives_a_reload_and_an_app_restart(page: Any, workspace: dict[str, Any]) -> None:
    with running_app(workspace["env"]) as url:
        ask(page, url, "What does Russia demand?")
        assert "neutral" in answered(page, "What does Russia demand?").inner_text()
        page.wait_for_url(re.compile(r"chat=\w+"))
        saved_url = page.url
        page.reload()
        assert "neutral" in answered(page, "What does Russia demand?").inner_text()
        assert page.get_by_role("heading", name="What does Russia demand?").count() == 1
    with running_app(workspace["env"]) as url:
        page.goto(url)
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_role("button", name=re.compile("What does Russia demand")).first.click()
        answer = answered(page, "What does Russia demand?")
        assert "neutral" in answer.inner_text()
        card = page.locator('[data-testid="stExpander"]').filter(has_text="russia_demands_brief.md").first
        card.locator("summary").click()
        page.locator(".stMarkdownColoredBackground").filter(has_text="neutral").first.wait_for(state="visible")
        assert chat_id(page.url) == chat_id(saved_url)
        # Renamed in the sidebar, the title stays after a reload.
        sidebar.get_by_text("This conversation").click()
        title = sidebar.get_by_label("Title")
        title.fill("Moscow's terms")
        title.press("Enter")
        sidebar.get_by_role("button", name=re.compile("Moscow's terms")).wait_for()
        page.reload()
        page.get_by_role("heading", name="Moscow's terms").wait_for()
        shot(page, "chat-saved-conversation.png")
        # Exported as Markdown with the cited passage quoted, then deleted.
        sidebar.get_by_text("This conversation").click()
        with page.expect_download() as download:
            sidebar.get_by_role("button", name="Export as Markdown").click()
        assert download.value.suggested_filename == "moscow-s-terms.md"  # named after the chat
        markdown = Path(download.value.path()).read_text(encoding="utf-8")
        # Names and passages are escaped Markdown: they read as text, and cannot become headings or links.
        assert markdown.startswith("# Moscow's terms") and escape("russia_demands_brief.md") in markdown
        assert "\n  > " in markdown and "neutral" in markdown.split("\n  > ")[1]
        with page.expect_download() as download:
            sidebar.get_by_role("button", name="Export as JSON").click()
        exported = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
        assert exported["messages"][1]["answer"]["citations"]
        sidebar.get_by_role("button", name="Delete conversation").click()
        page.get_by_role("button", name="Yes, delete it").click()  # asked first: it cannot be undone
        page.get_by_role("heading", name="Ask your documents").wait_for()
        # The sidebar re-renders after the heading appears: wait for the button to go, as a user would.
        expect(sidebar.get_by_role("button", name=re.compile("Moscow's terms"))).to_have_count(0)


def test_a_citation_opens_its_pdf_page_with_the_sentence_highlighted(page: Any, app_url: str) -> None:
    ask(page, app_url, PDF_QUESTION)
    assert "40 minutes" in answered(page, PDF_QUESTION).inner_text()
    chat_url = page.url
    card = page.locator('[data-testid="stExpander"]').filter(has_text="ferry_timetable.pdf").first
    assert "page 2" in card.locator("summary").inner_text()
    card.locator("summary").click()
    card.get_by_role("button", name="Open in the document").click()
    dialog = page.get_by_role("dialog")
    marked = dialog.locator(".stMarkdownColoredBackground").filter(has_text="every 40 minutes").first
    marked.wait_for(state="visible")
    assert "north quay" in marked.inner_text()
    # The paragraphs around the passage are shown too, not only the chunk.
    assert "Tickets are sold on board" in dialog.inner_text()
    image = dialog.locator('[data-testid="stImage"] img').first
    image.wait_for(state="visible")
    assert image.evaluate("img => img.naturalWidth") > 400
    dialog.get_by_text("Page 2: the cited sentences are marked in orange").wait_for()
    shot(page, "document-view-pdf.png", full_page=False)
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert page.url == chat_url  # the chat is where it was


def test_a_mistyped_collection_is_never_silently_created(page: Any, app_url: str) -> None:
    page.goto(f"{app_url}/?collection=taem")
    page.get_by_text("There is no collection taem").wait_for()
    sidebar = page.locator('[data-testid="stSidebar"]')
    picker = sidebar.locator('[data-testid="stSelectbox"]').first
    assert picker.locator("input").input_value() == "team · 11 documents"
    sidebar.get_by_text("New collection").click()
    sidebar.get_by_label("Name").fill("t!")
    sidebar.get_by_role("button", name="Create collection").click()
    sidebar.get_by_text("invalid collection name").wait_for()
    picker.click()
    options = [text.strip() for text in page.get_by_role("option").all_inner_texts()]
    assert options and all(option.startswith("team") for option in options), options
    page.keyboard.press("Escape")
    shot(page, "collections-picker.png", full_page=False)
    # Created on purpose, a new name is listed as empty and chosen.
    sidebar.get_by_label("Name").fill("team-notes")
    sidebar.get_by_role("button", name="Create collection").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stSidebar] input')].some(i => i.value === "
        "'team-notes · empty')"
    )


def test_a_correction_is_evaluated_from_the_browser_and_from_the_command_it_shows(
    page: Any, app_url: str, workspace: dict[str, Any]
) -> None:
    ask(page, app_url, "What does Russia demand?")
    answered(page, "What does Russia demand?")
    page.locator('[data-testid="stChatMessage"]').last.locator('[data-testid="stFeedback"] button').last.click()
    page.get_by_role("button", name="Correct this answer").last.click()
    page.get_by_label(re.compile("^Short answer")).fill("a cap on Ukraine's armed forces")
    page.get_by_label(re.compile("^Note")).fill("The brief lists it among the demands.")
    page.get_by_role("button", name="Save correction").click()
    page.get_by_text("Your correction: the right answer is a cap on Ukraine").wait_for()
    [stored] = [item for item in FeedbackStore.in_folder(workspace["data"]).all() if item.corrected]
    assert stored.rating == 0 and stored.settings["answerer"] == "extractive" and stored.answer["citations"]
    assert stored.correction == "a cap on Ukraine's armed forces" and stored.note

    page.locator('[data-testid="stSidebarNav"]').get_by_text("Evaluation").click()
    question_set = page.locator('[data-testid="stSelectbox"]').filter(has_text="Question set").locator("input")
    expect(question_set).to_have_value("Corrections from this collection (1)")
    page.get_by_role("button", name="Run evaluation").click()
    page.get_by_text(re.compile(r"Done: \d of 1 questions? answered as expected")).wait_for(timeout=300_000)
    shot(page, "evaluation-corrections.png")

    # The same run from a terminal, as the page gives it.
    page.get_by_text("Details: the same run from a terminal").click()
    command = page.locator('[data-testid="stCode"]').last.inner_text().strip()
    assert "qa eval --collection team" in command and "--corpus" not in command
    out = workspace["base"] / "feedback-report"
    arguments = command.split("qa eval", 1)[1].split()
    arguments[arguments.index("--out") + 1] = str(out)
    run = subprocess.run(
        [sys.executable, "-m", "assistant", "eval", *arguments],
        env=workspace["env"],
        cwd=workspace["base"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["metrics"]["n"] == 1 and report["per_question"][0]["question"] == "What does Russia demand?"
    assert report["metrics"]["hit@5"] == 1.0
    collections = [name for name, _, _ in Catalog(catalog_file(workspace["data"])).records.collections()]
    assert collections == [COLLECTION]  # neither run made a collection of its own


def test_two_reports_compare_with_deltas_and_changed_questions(
    page: Any, app_url: str, workspace: dict[str, Any]
) -> None:
    reports = workspace["data"] / "reports"
    for name, k in (("a-k1", "1"), ("b-k5", "5")):
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "assistant",
                "eval",
                "--corpus",
                str(ROOT / "eval" / "corpus"),
                "--gold",
                str(ROOT / "eval" / "gold" / "sample.jsonl"),
                "--out",
                str(reports / name),
                "--answerer",
                "extractive",
                "-k",
                k,
                "--limit",
                "12",
            ],
            env=workspace["env"],
            cwd=workspace["base"],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert run.returncode == 0, run.stderr[-2000:]
    page.goto(f"{app_url}/Evaluation")
    page.get_by_role("tab", name="Compare two reports").click()
    tile = page.locator('[data-testid="stMetric"]').filter(has=page.get_by_text("answer_contains", exact=True)).last
    tile.locator('[data-testid="stMetricDelta"]').wait_for()
    old, new = (json.loads((reports / name / "report.json").read_text())["metrics"] for name in ("a-k1", "b-k5"))
    delta = round(new["answer_contains"] - old["answer_contains"], 4)
    assert str(abs(delta)) in tile.locator('[data-testid="stMetricDelta"]').inner_text()
    page.get_by_text(re.compile(r"Got worse \(\d+\)")).wait_for()
    page.get_by_text(re.compile(r"Got better \(\d+\)")).wait_for()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=stImage] img').length >= 5")
    page.set_viewport_size({"width": 1280, "height": 1800})
    shot(page, "evaluation-compare.png")


def test_every_page_is_usable_at_1280x800_and_phone_width_without_a_deploy_menu(page: Any, app_url: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    for path, name, marker in (
        ("", "chat", "Ask your documents"),
        ("/Documents", "documents", "In this collection"),
        ("/Evaluation", "evaluation", "Evaluation"),
    ):
        page.goto(f"{app_url}{path}")
        page.get_by_role("heading", name=marker).first.wait_for()
        page.wait_for_timeout(500)  # let the last elements settle before the picture
        assert page.get_by_role("button", name="Deploy").count() == 0
        shot(page, f"{name}-1280x800.png", full_page=False)
    page.goto(f"{app_url}/Documents")
    page.get_by_label("Filter by name").fill("ferry")
    page.get_by_label("Filter by name").press("Enter")
    page.get_by_text("1 of 11 documents").wait_for()
    page.get_by_text("Preview the text").first.click()
    page.get_by_text("Dunmore ferry service").first.wait_for()
    remove = page.get_by_role("button", name="Remove").first
    assert "Remove" in remove.inner_text().split()  # the whole word, not "Rem..."
    shot(page, "documents-filter-preview.png")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(app_url)
    box = page.get_by_placeholder("Ask a question about your documents")
    box.wait_for()
    assert box.is_visible() and box.bounding_box()["width"] > 200
    box.fill(PDF_QUESTION)
    box.press("Enter")
    answer = answered(page, PDF_QUESTION)
    assert "40 minutes" in answer.inner_text()
    correct = page.get_by_role("button", name="Correct this answer").last
    assert correct.bounding_box()["x"] + correct.bounding_box()["width"] <= 390  # within the screen
    shot(page, "chat-phone.png", full_page=False)
