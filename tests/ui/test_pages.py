"""Each Streamlit page through streamlit's AppTest: real assistant, extractive answerer, temp data."""

import json
import re
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from assistant import Settings, build_assistant
from ui.render import escape

UI = Path(__file__).resolve().parents[2] / "ui"


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed_corpus: Path) -> Path:
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("QA_COLLECTION", "ui-test")
    monkeypatch.setenv("QA_ANSWERER", "extractive")
    build_assistant(Settings(data_dir=tmp_path / "data", collection="ui-test", answerer="extractive")).ingest(
        [seed_corpus]
    )
    return tmp_path / "data"


def chat() -> AppTest:
    app = AppTest.from_file(str(UI / "Chat.py"), default_timeout=120)
    app.run()
    return app


def test_example_questions_come_from_the_collections_own_documents(data: Path, tmp_path: Path) -> None:
    app = chat()
    assert not app.exception
    # The news article has no headings and no title line: no made-up examples.
    assert [button.label for button in app.main.button] == []
    handbook = tmp_path / "staff_handbook.md"
    handbook.write_text("# Staff handbook\n\n## 4.2 Holidays\n\nEvery employee gets 27 days of paid holiday.\n")
    build_assistant(Settings(data_dir=data, collection="ui-test", answerer="extractive")).ingest([handbook])
    app = chat()
    example = "What does staff handbook say about Holidays?"
    assert [button.label for button in app.main.button] == [example]
    next(button for button in app.main.button if button.label == example).click().run()
    assert "27 days" in app.chat_message[1].markdown[0].value


def test_asking_shows_a_cited_answer_with_a_highlighted_source_card(data: Path) -> None:
    app = chat()
    app.chat_input[0].set_value("What does Russia demand?").run()
    assert not app.exception
    answer = app.chat_message[1].markdown[0].value
    assert "neutrality" in answer and "**[" in answer
    card = app.expander[0]
    assert card.label.startswith("[") and escape("ukraine_nato_news.txt") in card.label
    assert ":orange-background[" in card.markdown[0].value


def test_a_follow_up_uses_the_conversation(data: Path) -> None:
    app = chat()
    app.chat_input[0].set_value("What does Trump propose?").run()
    app.chat_input[0].set_value("What role for China?").run()
    messages = app.session_state.messages
    assert len(messages) == 4
    assert "China" in messages[-1]["content"]


def test_a_refusal_looks_like_a_refusal_not_an_error(data: Path) -> None:
    app = chat()
    app.chat_input[0].set_value("Who won the 1998 World Cup?").run()
    [info] = app.info
    assert info.value.startswith(escape("I don't know based on the documents"))
    assert not app.error
    # What was found is shown under the refusal, to read and open.
    assert "##### Closest passages found" in [markdown.value for markdown in app.chat_message[1].markdown]
    cards = [expander.label for expander in app.main.expander]
    assert 1 <= len(cards) <= 5 and cards[0] == "[1] " + escape("ukraine_nato_news.txt")


def test_a_name_that_cannot_be_a_collection_is_explained_and_a_typed_one_is_made_valid(data: Path) -> None:
    app = chat()
    for typed, problem in (("ab", "invalid collection name"), ("?!", "has no letters or digits")):
        app.sidebar.text_input(key="new_collection").set_value(typed)
        next(button for button in app.sidebar.button if button.label == "Create collection").click().run()
        assert problem in app.sidebar.error[0].value
        assert app.sidebar.selectbox[0].value == "ui-test"
        assert app.sidebar.selectbox[0].options == ["ui-test · 1 document"]
    app.sidebar.text_input(key="new_collection").set_value("Team handbook")
    next(button for button in app.sidebar.button if button.label == "Create collection").click().run()
    assert not app.sidebar.error
    assert escape("Created the collection team-handbook (from 'Team handbook')") in app.sidebar.success[0].value
    assert app.sidebar.selectbox[0].value == "team-handbook"
    assert "has no documents yet" in app.info[0].value
    assert app.query_params["collection"] in ("team-handbook", ["team-handbook"])


def test_the_sidebar_and_the_main_page_say_when_the_local_model_is_missing_and_how_to_fix_it(
    data: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("QA_ANSWERER", "local")
    monkeypatch.setenv("QA_LLM_MODEL_PATH", str(tmp_path / "gone.gguf"))
    app = chat()
    warnings = [warning.value for warning in app.sidebar.warning]
    assert any("Local model missing" in text and escape("gone.gguf does not exist") in text for text in warnings)
    [banner] = app.main.error
    assert "local language model is missing" in banner.value and "`make install`" in banner.value


def test_new_chat_clears_the_conversation(data: Path) -> None:
    app = chat()
    app.chat_input[0].set_value("What does Trump propose?").run()
    next(button for button in app.button if button.label == "New chat").click().run()
    assert app.session_state.messages == []


def test_documents_page_lists_sources_and_removes_one(data: Path) -> None:
    app = AppTest.from_file(str(UI / "pages" / "1_Documents.py"), default_timeout=120)
    app.run()
    assert not app.exception
    assert "ukraine_nato_news.txt" in [text.value for text in app.text]
    # Removing asks first: the button that removes sits behind "Remove", and says what it does.
    assert [button.label for button in app.button if "remove" in button.label.casefold()] == ["Yes, remove it"]
    next(button for button in app.button if button.label == "Yes, remove it").click().run()
    assert escape("Removed ukraine_nato_news.txt from ui-test.") in app.success[0].value
    assert "has no documents yet" in app.info[0].value
    assert app.sidebar.selectbox[0].options == ["ui-test · empty"]  # the sidebar's count follows at once


def write_report(data: Path, per_question: list[dict], per_tag: dict | None = None, **metrics: float | None) -> None:
    folder = data / "reports" / "sample-extractive"
    folder.mkdir(parents=True)
    report: dict[str, Any] = {
        "gold": "sample.jsonl",
        "created": "2026-11-25",
        "settings": {"answerer": "extractive", "k": 5},
        "metrics": {
            "n": len(per_question),
            "hit@5": 1.0,
            "answer_contains": 1.0,
            "refusal_accuracy": 1.0,
            "citation_validity": 1.0,
            **metrics,
        },
        "per_question": per_question,
        **({"per_tag": per_tag} if per_tag is not None else {}),
    }
    (folder / "report.json").write_text(json.dumps(report))


# One question answered right, with only the metrics every report version has.
ONE_ANSWERED: dict[str, Any] = {
    "id": "q1",
    "question": "What?",
    "gold_answers": ["x"],
    "answer": "x [1]",
    "answer_contains": 1.0,
    "hit@5": 1.0,
    "citation_validity": 1.0,
    "citation_precision": 1.0,
    "retrieved": [],
}


def evaluation() -> AppTest:
    app = AppTest.from_file(str(UI / "pages" / "2_Evaluation.py"), default_timeout=60)
    app.run()
    assert not app.exception
    return app


def test_evaluation_page_renders_an_existing_report(data: Path) -> None:
    write_report(
        data,
        [ONE_ANSWERED],
    )
    app = evaluation()
    assert [metric.value for metric in app.tabs[0].metric][:2] == ["1.0", "1.0"]
    assert any(expander.label == escape("q1: What?") for expander in app.expander)


def test_evaluation_page_shows_judge_scores_and_n_a_for_unanswerable_questions(data: Path) -> None:
    question = "Who [won](http://evil.example) <b>it</b>?"
    write_report(
        data,
        [
            {
                "id": "q9",
                "question": question,
                "gold_answers": [],
                "answer": "I don't know.",
                "answer_contains": 1.0,
                "hit@5": None,
                "citation_validity": 1.0,
                "citation_precision": None,
                "judge_faithfulness": None,
                "judge_correctness": None,
                "retrieved": [],
            }
        ],
        judge_faithfulness=0.75,
        judge_correctness=0.5,
    )
    app = evaluation()
    headline = {metric.label: metric.value for metric in app.tabs[0].metric}
    assert headline["judge_faithfulness"] == "0.75" and headline["judge_correctness"] == "0.5"
    card = next(expander for expander in app.expander if expander.label.startswith("q9"))
    assert card.label == escape(f"q9: {question}")
    caption = card.caption[0].value
    assert "hit@5 n/a" in caption and "None" not in caption


def test_evaluation_page_shows_n_a_for_null_metrics_and_why_answers_were_refused_or_trimmed(data: Path) -> None:
    refused: dict[str, Any] = {
        "id": "q2",
        "question": "Who won?",
        "gold_answers": [],
        "answer": "I don't know based on the documents.",
        "answer_contains": 0.0,
        "hit@5": None,
        "citation_validity": 1.0,
        "citation_precision": None,
        "answer_recall": None,
        "unsupported_rate": None,
        "number_precision": None,
        "refusal_reason": "No passage names the *winner* [x](http://evil.example)",
        "unsupported": [],
        "retrieved": [],
    }
    trimmed = {
        "id": "q3",
        "question": "When?",
        "gold_answers": ["1989"],
        "answer": "In 1989 [1].",
        "answer_contains": 1.0,
        "hit@5": 1.0,
        "citation_validity": 1.0,
        "citation_precision": 1.0,
        "answer_recall": 0.5,
        "unsupported_rate": 0.5,
        "number_precision": 1.0,
        "refusal_reason": None,
        "unsupported": [{"sentence": "It cost <b>$5</b>.", "reason": "the number 5 is not in passage [1]"}],
        "retrieved": [],
    }
    per_tag = {"false-premise": {"n": 1, "answer_contains": 0.0, "answer_recall": None, "hit@5": None}}
    write_report(
        data,
        [refused, trimmed],
        per_tag,
        answer_contains_answerable=1.0,
        answer_recall=None,
        false_premise_refusal=None,
        number_precision=1.0,
        unsupported_rate=0.0,
        first_token_p50_s=None,
    )
    app = evaluation()
    headline = {metric.label: metric.value for metric in app.tabs[0].metric}
    assert headline["answer_recall"] == "n/a" and headline["false_premise_refusal"] == "n/a"
    assert headline["first_token_p50_s"] == "n/a"
    # A real zero stays a zero; only 'nothing to score' is n/a.
    assert headline["unsupported_rate"] == "0.0" and headline["number_precision"] == "1.0"
    assert headline["answer_contains_answerable"] == "1.0"
    table = dict(zip(app.dataframe[0].value["metric"], app.dataframe[0].value["value"], strict=True))
    assert table["answer_recall"] == "n/a" and table["unsupported_rate"] == "0.0"
    [tag] = app.dataframe[1].value.to_dict("records")
    assert tag == {"tag": "false-premise", "n": "1", "answer_contains": "0.0", "answer_recall": "n/a", "hit@5": "n/a"}

    card = next(expander for expander in app.expander if expander.label.startswith("q2"))
    texts = [markdown.value for markdown in card.markdown]
    assert f"**Refusal reason:** {escape(refused['refusal_reason'])}" in texts
    assert "answer recall n/a" in card.caption[0].value
    card = next(expander for expander in app.expander if expander.label.startswith("q3"))
    [removed] = [markdown.value for markdown in card.markdown]
    assert escape("It cost <b>$5</b>.") in removed and escape("the number 5 is not in passage [1]") in removed
    assert "<b>" not in removed and "Refusal reason" not in removed


def test_evaluation_page_shows_n_a_for_metrics_an_older_report_lacks(data: Path) -> None:
    write_report(
        data,
        [ONE_ANSWERED],
    )
    app = evaluation()
    headline = {metric.label: metric.value for metric in app.tabs[0].metric}
    assert headline["answer_recall"] == "n/a" and headline["unsupported_rate"] == "n/a"
    assert "judge_faithfulness" not in headline
    card = next(expander for expander in app.expander if expander.label.startswith("q1"))
    assert not card.markdown and "answer recall" not in card.caption[0].value


def test_one_oversized_upload_is_reported_and_the_others_are_still_ingested(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QA_MAX_UPLOAD_MB", "1")
    app = AppTest.from_file(str(UI / "pages" / "1_Documents.py"), default_timeout=120)
    app.run()
    app.file_uploader[0].set_value(
        [
            ("huge scan.txt", b"word " * 300_000, "text/plain"),
            ("lighthouse.txt", b"The lighthouse lamp was automated in 1989.", "text/plain"),
        ]
    ).run()
    next(button for button in app.button if button.label == "Add 2 files to ui-test").click().run()
    assert not app.exception and not app.error
    summary, reasons = (warning.value for warning in app.warning)
    assert summary.startswith("1 file added, 1 file not added")
    assert escape("huge scan.txt") in reasons and escape("1.4 MB") in reasons and escape("1 MB limit") in reasons
    assert escape("QA_MAX_UPLOAD_MB") in reasons
    assert "lighthouse.txt" in [text.value for text in app.text]
    assert app.sidebar.selectbox[0].options == ["ui-test · 2 documents"]


def test_a_bad_upload_under_a_stored_name_leaves_the_stored_file_as_it_was(data: Path) -> None:
    """Uploads are staged under names of their own and moved in only while their folder is locked, so a refused
    new version (binary junk) never replaces the file that is stored (issue 26 item 2, in the web app)."""
    good = b"The lighthouse lamp was automated in 1989."
    app = AppTest.from_file(str(UI / "pages" / "1_Documents.py"), default_timeout=120)
    app.run()
    for content in (good, bytes(range(256)) * 40):
        app.file_uploader[0].set_value([("lighthouse.txt", content, "text/plain")]).run()
        next(button for button in app.button if button.label == "Add 1 file to ui-test").click().run()
        assert not app.exception and not app.error
    assert "1 file not added" in app.warning[0].value
    [stored] = (data / "uploads").glob("*/lighthouse.txt")
    assert stored.read_bytes() == good
    assert not list((data / "uploads" / ".staging").iterdir())


def test_the_collection_list_shows_counts_and_a_new_name_is_created_only_on_request(data: Path) -> None:
    app = chat()
    picker = app.sidebar.selectbox[0]
    [option] = picker.options
    assert option == "ui-test · 1 document"
    app.sidebar.text_input(key="new_collection").set_value("ui-tset").run()
    assert app.sidebar.selectbox[0].value == "ui-test"  # typing alone creates nothing
    next(button for button in app.sidebar.button if button.label == "Create collection").click().run()
    assert app.sidebar.selectbox[0].value == "ui-tset"
    assert "ui-tset · empty" in app.sidebar.selectbox[0].options
    assert any("Did you mean ui\\-test?" in caption.value for caption in app.sidebar.caption)


def test_a_saved_conversation_reopens_from_its_link_in_a_new_session(data: Path) -> None:
    app = chat()
    app.chat_input[0].set_value("What does Russia demand?").run()
    chat_id = app.query_params["chat"]
    chat_id = chat_id[0] if isinstance(chat_id, list) else chat_id
    reopened = AppTest.from_file(str(UI / "Chat.py"), default_timeout=120)
    reopened.query_params["chat"] = chat_id
    reopened.run()
    assert not reopened.exception
    assert reopened.chat_message[0].text[0].value == "What does Russia demand?"
    assert "neutrality" in reopened.chat_message[1].markdown[0].value
    assert any(button.label.startswith("What does Russia demand") for button in reopened.sidebar.button)


def test_timings_are_shown_on_request(data: Path) -> None:
    app = chat()
    app.sidebar.toggle(key="show_timings").set_value(True).run()
    app.chat_input[0].set_value("What does Russia demand?").run()
    captions = [caption.value for caption in app.chat_message[1].caption]
    assert any(text.startswith("Timings: retrieve") and "total" in text for text in captions)


def test_the_document_page_opens_at_a_cited_passage(data: Path, seed_corpus: Path) -> None:
    from assistant import Settings, build_assistant

    answer = build_assistant(Settings(data_dir=data, collection="ui-test", answerer="extractive")).ask(
        "What does Russia demand?"
    )
    citation = answer.citations[0]
    app = AppTest.from_file(str(UI / "pages" / "3_Document.py"), default_timeout=60)
    app.query_params.update(
        {
            "collection": "ui-test",
            "source": citation.source,
            "start": str(citation.start),
            "end": str(citation.end),
            "hl": ",".join(f"{h.start}-{h.end}" for h in citation.highlights),
        }
    )
    app.run()
    assert not app.exception
    [text] = [markdown.value for markdown in app.markdown if ":orange-background[" in markdown.value]
    assert "neutrality" in text.split(":orange-background[")[1]
    # The file name only; where it is stored and the offsets are behind "Details".
    assert app.caption[0].value == escape("ukraine_nato_news.txt")
    shown = [element.value for element in [*app.markdown, *app.caption]]
    assert not any(str(seed_corpus) in value or escape(str(seed_corpus)) in value for value in shown)
    app.toggle(key="document-details").set_value(True).run()
    assert any(f"characters {citation.start}–{citation.end}" in caption.value for caption in app.caption)


@pytest.mark.llm
def test_the_first_question_says_it_loads_the_language_model_and_how_long_it_took(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui.state import load_seconds

    load_seconds.clear()  # as in a freshly started app
    monkeypatch.setenv("QA_ANSWERER", "local")
    app = AppTest.from_file(str(UI / "Chat.py"), default_timeout=600)
    app.run()
    app.chat_input[0].set_value("What does Russia demand?").run()
    assert not app.exception
    captions = [caption.value for caption in app.chat_message[1].caption]
    assert any(
        re.fullmatch(r"Loaded the language model in \d+\.\d s \(first question only\)\.", text) for text in captions
    ), captions
    app.chat_input[0].set_value("What does Trump propose?").run()
    later = [caption.value for caption in app.chat_message[3].caption]
    assert not any(text.startswith("Loaded the") for text in later)
