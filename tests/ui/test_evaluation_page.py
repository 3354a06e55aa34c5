"""Corrections made in the browser are evaluated from the Evaluation page against the collection itself
(AppTest: real assistant, extractive answerer, temp data folder)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from assistant import Settings, build_assistant
from assistant.chats.feedback import FeedbackStore, settings_snapshot
from assistant.index.catalog import Catalog
from assistant.index.folder import catalog_file
from eval.runner import is_eval_collection
from ui.feedback_view import NOTE_LABEL, SAVED_TEXT, SHORT_ANSWER_LABEL
from ui.render import escape

UI = Path(__file__).resolve().parents[2] / "ui"
COLLECTION = "team"
HANDBOOK = """# Staff handbook

## Holidays
Every employee gets 25 days of paid holiday per year. Unused days may be carried over until March.

## Expenses
Travel costs are refunded within 30 days when the receipt is attached.
"""
QUESTION = "How many days of paid holiday does an employee get?"


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder whose collection 'team' holds a handbook; the app's settings point at it."""
    folder = tmp_path / "data"
    monkeypatch.setenv("QA_DATA_DIR", str(folder))
    monkeypatch.setenv("QA_COLLECTION", COLLECTION)
    monkeypatch.setenv("QA_ANSWERER", "extractive")
    docs = tmp_path / "uploads"
    docs.mkdir()
    (docs / "handbook.md").write_text(HANDBOOK, encoding="utf-8")
    # A failed upload left in the folder the collection's files came from: never read by an evaluation.
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    build_assistant(Settings(data_dir=folder, collection=COLLECTION, answerer="extractive")).ingest(
        [docs / "handbook.md"]
    )
    return folder


def correct(data: Path, short_answer: str, note: str | None = None) -> None:
    """Ask QUESTION in the collection and save a correction of its answer, as the Chat page does."""
    settings = Settings(data_dir=data, collection=COLLECTION, answerer="extractive")
    answer = build_assistant(settings).ask(QUESTION)
    FeedbackStore.in_folder(data).save(
        conversation_id="chat1",
        position=1,
        question=QUESTION,
        history=[],
        answer=answer.model_dump(),
        settings=settings_snapshot(settings),
        rating=0,
        correction=short_answer,
        note=note,
    )


def evaluation_page() -> AppTest:
    app = AppTest.from_file(str(UI / "pages" / "2_Evaluation.py"), default_timeout=300)
    app.run()
    assert not app.exception
    return app


def collections(data: Path) -> list[str]:
    return [name for name, _documents, _chunks in Catalog(catalog_file(data)).records.collections()]


def test_the_corrections_run_against_the_collection_and_the_report_is_shown(data: Path) -> None:
    correct(data, "25 days", note="The answer said 30, which is the refund delay.")
    app = evaluation_page()
    question_set = app.selectbox(key="question_set")
    assert question_set.value == "corrections"
    labels = question_set.options
    assert labels[0] == "Corrections from this collection (1)"
    assert "Sample questions (the sample documents)" in labels
    # No folder to fill in for the collection's own corrections.
    assert not [box for box in app.text_input if box.label == "Folder of documents"]
    [command] = [block.value for block in app.code]
    assert "qa eval --collection team --gold" in command and "--corpus" not in command

    next(button for button in app.button if button.label == "Run evaluation").click().run()
    assert not app.exception and not app.error
    assert app.success[0].value == "Done: 1 of 1 questions answered as expected. The report is below."
    # The new report is the one shown in the Report tab, without choosing it.
    assert app.selectbox(key="report_choice").value == "team-feedback-extractive"
    report_tab = app.tabs[0]
    assert any("**1 of 1 question** answered as expected" in block.value for block in report_tab.markdown)
    assert {metric.label: metric.value for metric in report_tab.metric}["answer_contains"] == "1.0"
    report = json.loads((data / "reports" / "team-feedback-extractive" / "report.json").read_text())
    [record] = report["per_question"]
    # The gold source (the handbook) matches the collection's stored file, so the hit is counted; the note
    # rides along without a warning.
    assert record["hit@1"] == 1.0 and report["gold_warnings"] == []
    # Nothing was ingested: the collection list is as it was, with no evaluation collection.
    assert collections(data) == [COLLECTION]


def test_the_command_shown_for_the_terminal_runs_on_the_collection(data: Path) -> None:
    from click.testing import CliRunner

    from assistant.cli import main

    correct(data, "25 days")
    app = evaluation_page()
    [command] = [block.value for block in app.code]
    args = command.split()[1:]  # without QA_DATA_DIR=..., which the test's environment already sets
    assert args[:3] == ["qa", "eval", "--collection"]
    result = CliRunner().invoke(main, args[1:])
    assert result.exit_code == 0, result.output
    assert "answer_contains      1.0" in result.output
    assert collections(data) == [COLLECTION]


def test_a_packaged_set_runs_on_its_own_documents_in_a_hidden_collection(data: Path) -> None:
    app = evaluation_page()
    assert app.selectbox(key="question_set").value == "sample.jsonl"
    assert "Asked of its own documents: the sample documents that come with the app." in [
        caption.value for caption in app.caption
    ]
    next(button for button in app.button if button.label == "Run evaluation").click().run()
    assert not app.exception and not app.error
    assert app.success[0].value.startswith("Done: ") and app.success[0].value.endswith("The report is below.")
    assert app.selectbox(key="report_choice").value == "sample-extractive"
    report = json.loads((data / "reports" / "sample-extractive" / "report.json").read_text())
    # The sample corpus went into its own evaluation collection in the app's data folder, never the user's.
    assert is_eval_collection(report["settings"]["storage"]["collection"])
    assert Path(report["settings"]["storage"]["data_dir"]) == data
    assert report["metrics"]["hit@5"] >= 0.9
    assert sorted(collections(data)) == sorted([COLLECTION, report["settings"]["storage"]["collection"]])


def test_no_corrections_yet_says_where_to_make_them_and_cannot_run(data: Path) -> None:
    app = evaluation_page()
    question_set = app.selectbox(key="question_set")
    assert question_set.value == "sample.jsonl"  # the packaged set is offered first when there is nothing to run
    question_set.set_value("corrections").run()
    assert "Correct this answer" in app.info[0].value
    assert next(button for button in app.button if button.label == "Run evaluation").disabled


def test_the_corrections_tab_lists_the_short_answer_and_the_note(data: Path) -> None:
    correct(data, "25 days", note="30 is the refund delay")
    app = evaluation_page()
    [table] = [frame.value for frame in app.tabs[2].dataframe]
    assert table.to_dict("records") == [
        {"Question": QUESTION, "Right answer": "25 days", "Note": "30 is the refund delay"}
    ]


def feedback_under_an_answer(data_dir: str, question: str, answer: dict) -> None:
    """The piece of the Chat page under a saved answer (ui.feedback_view), on its own."""
    from pathlib import Path

    from assistant import Settings
    from assistant.chats.feedback import FeedbackStore
    from ui.feedback_view import show_feedback

    settings = Settings(data_dir=Path(data_dir), collection="team", answerer="extractive")
    show_feedback(FeedbackStore.in_folder(Path(data_dir)), settings, "chat1", 1, question, [], answer)


def test_a_correction_saved_under_an_answer_keeps_the_short_answer_and_the_note(data: Path) -> None:
    answer = build_assistant(Settings(data_dir=data, collection=COLLECTION, answerer="extractive")).ask(QUESTION)
    app = AppTest.from_function(
        feedback_under_an_answer, args=(str(data), QUESTION, answer.model_dump(mode="json")), default_timeout=60
    )
    app.run()
    assert not app.exception
    next(box for box in app.text_input if box.label == SHORT_ANSWER_LABEL).set_value("25 days")
    next(area for area in app.text_area if area.label == NOTE_LABEL).set_value("Not 30: that is the refund delay.")
    assert [box.label for box in app.checkbox] == ["The documents do not answer this"]
    next(button for button in app.button if button.label == "Save correction").click().run()
    assert not app.exception
    [saved] = FeedbackStore.in_folder(data).corrected()
    assert (saved.correction, saved.note, saved.question) == ("25 days", "Not 30: that is the refund delay.", QUESTION)
    assert saved.settings["collection"] == COLLECTION
    assert app.success[0].value == SAVED_TEXT
    said = "Your correction: " + escape("the right answer is 25 days (note: Not 30: that is the refund delay.)")
    assert said in [caption.value for caption in app.caption]


def test_a_sentence_typed_as_the_short_answer_is_saved_with_a_hint(data: Path) -> None:
    answer = build_assistant(Settings(data_dir=data, collection=COLLECTION, answerer="extractive")).ask(QUESTION)
    app = AppTest.from_function(
        feedback_under_an_answer, args=(str(data), QUESTION, answer.model_dump(mode="json")), default_timeout=60
    )
    app.run()
    sentence = "Every employee gets twenty-five days of paid holiday in each calendar year"
    next(box for box in app.text_input if box.label == SHORT_ANSWER_LABEL).set_value(sentence)
    next(button for button in app.button if button.label == "Save correction").click().run()
    [saved] = FeedbackStore.in_folder(data).corrected()
    assert saved.correction == sentence
    assert any("long answer" in caption.value for caption in app.caption)
