"""Corrections become gold format v1 items that the gold loader accepts."""

from pathlib import Path

from assistant.feedback import Feedback
from eval.feedback_gold import corpus_root, write_gold
from eval.gold import check_sources, load_gold


def feedback(tmp: Path, position: int, correction: str | None, unanswerable: bool = False) -> Feedback:
    source = tmp / "docs" / "news" / "brief.md"
    passage = {
        "n": 1,
        "source": str(source),
        "chunk_id": "c1",
        "start": 0,
        "end": 80,
        "page": None,
        "text": "Moscow wants neutrality. Its terms also include a cap on Ukraine's armed forces.",
    }
    answer = {"answer": "Neutrality [1].", "citations": [passage], "passages": [passage]}
    return Feedback(
        "chat1",
        position,
        0,
        correction,
        unanswerable,
        "And what else?",
        [{"role": "user", "content": "What does Russia demand?"}, {"role": "assistant", "content": "x"}],
        answer,
        {"answerer": "extractive"},
        0.0,
    )


def test_corrections_are_written_as_gold_items_that_load_and_resolve_against_the_corpus(tmp_path: Path) -> None:
    (tmp_path / "docs" / "news").mkdir(parents=True)
    (tmp_path / "docs" / "news" / "brief.md").write_text("text", encoding="utf-8")
    (tmp_path / "docs" / "other.md").write_text("text", encoding="utf-8")
    root = corpus_root([str(tmp_path / "docs" / "news" / "brief.md"), str(tmp_path / "docs" / "other.md")])
    assert root == (tmp_path / "docs").resolve()
    items = [
        feedback(tmp_path, 1, "a cap on Ukraine's armed forces"),
        feedback(tmp_path, 3, None),
        feedback(tmp_path, 5, None, unanswerable=True),
    ]
    gold = tmp_path / "gold.jsonl"
    assert write_gold(items, root, gold) == 2  # the uncorrected thumb is not gold

    first, second = check_sources(load_gold(gold), root, gold)
    assert first.answers == ["a cap on Ukraine's armed forces"] and first.sources == ["news/brief.md"]
    assert first.evidence == ["Its terms also include a cap on Ukraine's armed forces."]
    assert [turn.content for turn in first.history] == ["What does Russia demand?", "x"]
    assert "from-feedback" in first.tags and "follow-up" in first.tags
    assert not second.answerable and second.answers == [] and "unanswerable" in second.tags


def test_a_correction_no_passage_states_has_no_sources(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    write_gold([feedback(tmp_path, 1, "a referendum")], tmp_path / "docs", gold)
    [item] = load_gold(gold)
    assert item.sources == [] and item.evidence == [] and item.answers == ["a referendum"]
