"""Each Streamlit page through streamlit's AppTest: real assistant, extractive answerer, temp data."""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from assistant import Assistant, Settings
from ui.render import escape

UI = Path(__file__).resolve().parents[2] / "ui"


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed_corpus: Path) -> Path:
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("QA_COLLECTION", "ui-test")
    monkeypatch.setenv("QA_ANSWERER", "extractive")
    Assistant(Settings(data_dir=tmp_path / "data", collection="ui-test", answerer="extractive")).ingest([seed_corpus])
    return tmp_path / "data"


def chat() -> AppTest:
    app = AppTest.from_file(str(UI / "Chat.py"), default_timeout=120)
    app.run()
    return app


def test_an_empty_chat_offers_example_questions(data: Path) -> None:
    app = chat()
    assert not app.exception
    assert "What does Russia demand?" in [button.label for button in app.button]


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
    assert not app.error and not app.expander


def test_an_invalid_collection_in_the_sidebar_is_explained(data: Path) -> None:
    app = chat()
    app.sidebar.text_input[0].set_value("no spaces please").run()
    assert "invalid collection name" in app.sidebar.error[0].value


def test_the_sidebar_says_when_the_local_model_is_missing_and_how_to_fix_it(
    data: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("QA_ANSWERER", "local")
    monkeypatch.setenv("QA_LLM_MODEL_PATH", str(tmp_path / "gone.gguf"))
    app = chat()
    warnings = [warning.value for warning in app.sidebar.warning]
    assert any("Local model missing" in text and escape("gone.gguf does not exist") in text for text in warnings)


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
    next(button for button in app.button if button.label == "Remove").click().run()
    assert "This collection is empty" in app.info[0].value


def write_report(data: Path, per_question: list[dict], **metrics: float) -> None:
    folder = data / "reports" / "sample-extractive"
    folder.mkdir(parents=True)
    report = {"gold": "sample.jsonl", "created": "2026-11-25", "settings": {"answerer": "extractive", "k": 5},
              "metrics": {"n": len(per_question), "hit@5": 1.0, "answer_contains": 1.0, "refusal_accuracy": 1.0,
                          "citation_validity": 1.0, **metrics},
              "per_question": per_question}
    (folder / "report.json").write_text(json.dumps(report))


def evaluation() -> AppTest:
    app = AppTest.from_file(str(UI / "pages" / "2_Evaluation.py"), default_timeout=60)
    app.run()
    assert not app.exception
    return app


def test_evaluation_page_renders_an_existing_report(data: Path) -> None:
    write_report(data, [{"id": "q1", "question": "What?", "gold_answers": ["x"], "answer": "x [1]", "answer_contains": 1.0,
                         "hit@5": 1.0, "citation_validity": 1.0, "citation_precision": 1.0, "retrieved": []}])
    app = evaluation()
    assert [metric.value for metric in app.metric][:2] == ["1.0", "1.0"]
    assert any(expander.label == escape("q1: What?") for expander in app.expander)


def test_evaluation_page_shows_judge_scores_and_n_a_for_unanswerable_questions(data: Path) -> None:
    question = "Who [won](http://evil.example) <b>it</b>?"
    write_report(data, [{"id": "q9", "question": question, "gold_answers": [], "answer": "I don't know.",
                         "answer_contains": 1.0, "hit@5": None, "citation_validity": 1.0, "citation_precision": None,
                         "judge_faithfulness": None, "judge_correctness": None, "retrieved": []}],
                 judge_faithfulness=0.75, judge_correctness=0.5)
    app = evaluation()
    headline = {metric.label: metric.value for metric in app.metric}
    assert headline["judge_faithfulness"] == "0.75" and headline["judge_correctness"] == "0.5"
    card = next(expander for expander in app.expander if expander.label.startswith("q9"))
    assert card.label == escape(f"q9: {question}")
    caption = card.caption[0].value
    assert "hit@5 n/a" in caption and "None" not in caption


def test_one_oversized_upload_is_reported_and_the_others_are_still_ingested(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QA_MAX_UPLOAD_MB", "1")
    app = AppTest.from_file(str(UI / "pages" / "1_Documents.py"), default_timeout=120)
    app.run()
    app.file_uploader[0].set_value([
        ("huge scan.txt", b"word " * 300_000, "text/plain"),
        ("lighthouse.txt", b"The lighthouse lamp was automated in 1989.", "text/plain"),
    ]).run()
    next(button for button in app.button if button.label == "Ingest").click().run()
    assert not app.exception and not app.error
    warning = app.warning[0].value
    assert escape("huge scan.txt") in warning and escape("1.4 MB") in warning and escape("1 MB limit") in warning
    assert escape("QA_MAX_UPLOAD_MB") in warning
    assert "1 added" in app.success[0].value
    assert "lighthouse.txt" in [text.value for text in app.text]
