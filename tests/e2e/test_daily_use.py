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
from assistant.feedback import FeedbackStore
from tests.fixtures.streamlit_app import app_environment, ask, running_app

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
        assert page.url.split("chat=")[1] == saved_url.split("chat=")[1]
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
        markdown = Path(download.value.path()).read_text(encoding="utf-8")
        assert markdown.startswith("# Moscow's terms") and "russia_demands_brief.md" in markdown
        assert "\n  > " in markdown and "neutral" in markdown.split("\n  > ")[1]
        with page.expect_download() as download:
            sidebar.get_by_role("button", name="Export as JSON").click()
        exported = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
        assert exported["messages"][1]["answer"]["citations"]
        sidebar.get_by_role("button", name="Delete conversation").click()
        page.get_by_role("heading", name="Ask your documents").wait_for()
        # The sidebar re-renders after the heading appears: wait for the button to go, as a user would.
        expect(sidebar.get_by_role("button", name=re.compile("Moscow's terms"))).to_have_count(0)


def test_a_citation_opens_its_pdf_page_with_the_sentence_highlighted(page: Any, app_url: str) -> None:
    ask(page, app_url, PDF_QUESTION)
    assert "40 minutes" in answered(page, PDF_QUESTION).inner_text()
    card = page.locator('[data-testid="stExpander"]').filter(has_text="ferry_timetable.pdf").first
    card.locator("summary").click()
    card.get_by_role("link", name=re.compile("Open in the document")).click()
    page.get_by_role("heading", name="Document").wait_for()
    marked = page.locator(".stMarkdownColoredBackground").filter(has_text="every 40 minutes").first
    marked.wait_for(state="visible")
    assert "north quay" in marked.inner_text()
    # The paragraphs around the passage are shown too, not only the chunk.
    assert (
        "Tickets are sold on board"
        in page.locator('[data-testid="stMarkdown"]').filter(has_text="Inishcarra").first.inner_text()
    )
    page.get_by_text(re.compile(r"page 2 · cited passage")).wait_for()
    image = page.locator('[data-testid="stImage"] img').first
    image.wait_for(state="visible")
    assert image.evaluate("img => img.naturalWidth") > 400
    page.get_by_text("Page 2: the cited sentences are marked in orange").wait_for()
    shot(page, "document-view-pdf.png")


def test_a_mistyped_collection_is_never_silently_created(page: Any, app_url: str) -> None:
    page.goto(f"{app_url}/?collection=taem")
    page.get_by_text("There is no collection taem").wait_for()
    sidebar = page.locator('[data-testid="stSidebar"]')
    picker = sidebar.locator('[data-testid="stSelectbox"]').first
    assert re.fullmatch(r"team · 11 documents · \d+ chunks", picker.locator("input").input_value())
    sidebar.get_by_text("New collection").click()
    sidebar.get_by_label("Name").fill("te am")
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


def test_feedback_exported_from_the_ui_runs_through_qa_eval(page: Any, app_url: str, workspace: dict[str, Any]) -> None:
    ask(page, app_url, "What does Russia demand?")
    answered(page, "What does Russia demand?")
    page.locator('[data-testid="stChatMessage"]').last.locator('[data-testid="stFeedback"] button').last.click()
    page.get_by_role("button", name="Correct this answer").last.click()
    page.get_by_label("The right answer is ...").fill("a cap on Ukraine's armed forces")
    page.get_by_role("button", name="Save correction").click()
    page.get_by_text("Your correction: the right answer is a cap on Ukraine").wait_for()
    [stored] = [item for item in FeedbackStore(workspace["data"]).all() if item.corrected]
    assert stored.rating == 0 and stored.settings["answerer"] == "extractive" and stored.answer["citations"]

    page.locator('[data-testid="stSidebarNav"]').get_by_text("Evaluation").click()
    page.get_by_role("tab", name="Corrections as gold").click()
    page.get_by_role("button", name="Export corrections as a gold set").click()
    page.get_by_text(re.compile("Wrote 1 gold item to")).wait_for()
    shot(page, "evaluation-feedback-export.png")
    gold = workspace["data"] / "gold" / f"{COLLECTION}-feedback.jsonl"
    [item] = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines()]
    assert item["answers"] == ["a cap on Ukraine's armed forces"] and item["sources"] == ["russia_demands_brief.md"]

    out = workspace["base"] / "feedback-report"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "assistant",
            "eval",
            "--corpus",
            str(workspace["docs"]),
            "--gold",
            str(gold),
            "--out",
            str(out),
            "--answerer",
            "extractive",
        ],
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
        ("/Documents", "documents", "Sources"),
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
    page.get_by_text("Preview of the extracted text").first.click()
    page.get_by_text("Dunmore ferry service").first.wait_for()
    remove = page.get_by_role("button", name="Remove").first
    assert remove.inner_text().strip().endswith("Remove")  # whole word, not "Rem..."
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
