"""Without a model, a follow-up borrows the previous question; a question that stands alone does not."""

from pathlib import Path

import pytest

from assistant import Settings, build_assistant
from assistant.answering.answerers.base import fallback_condense

EARLIER = [
    {"role": "user", "content": "Who won the 1998 World Cup final?"},
    {"role": "assistant", "content": "I don't know based on the documents."},
]


@pytest.mark.parametrize(
    "question",
    ["And what does Trump propose?", "What role for China?", "How much does it cost?", "And in 2024?", "Why is that?"],
)
def test_a_follow_up_is_read_with_the_question_before_it(question: str) -> None:
    assert fallback_condense(question, EARLIER) == f"Who won the 1998 World Cup final? {question}"


@pytest.mark.parametrize(
    "question",
    ["What does Russia demand?", "How many passengers did the Island Shuttle route carry in 2025?", "Who is the CEO?"],
)
def test_a_question_that_stands_alone_is_kept_as_asked(question: str) -> None:
    assert fallback_condense(question, EARLIER) == question


@pytest.mark.integration  # the default (ONNX) embedder ranks the passages
def test_an_unanswerable_question_does_not_sink_the_next_one(tmp_path: Path) -> None:
    """Seen in the browser: after a refused question, a plain question about a spreadsheet row was refused too,
    'they do not mention 1998 World Cup', because the refused question was glued in front of it."""
    sheet = tmp_path / "routes.csv"
    sheet.write_text("Route,Passengers 2025\nIsland Shuttle,96500\nHarbour Loop,41200\n", encoding="utf-8")
    assistant = build_assistant(Settings(data_dir=tmp_path / "data", collection="routes", answerer="extractive"))
    assistant.ingest([sheet])
    answer = assistant.ask("How many passengers did the Island Shuttle route carry in 2025?", EARLIER)
    assert not answer.refused and "96500" in answer.answer
