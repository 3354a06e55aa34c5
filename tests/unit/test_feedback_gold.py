"""Corrections become gold format v1 items that the gold loader accepts."""

import warnings
from pathlib import Path

from assistant.chats.feedback import Feedback
from eval.feedback_gold import (
    SENTENCE_TAG,
    corpus_root,
    gold_item,
    in_the_documents,
    is_sentence,
    key_words,
    states_key_words,
    write_gold,
)
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


def corrected(tmp: Path, correction: str, note: str | None = None, question: str = "And what else?") -> Feedback:
    item = feedback(tmp, 1, correction)
    return Feedback(
        item.conversation_id,
        item.position,
        item.rating,
        correction,
        False,
        question,
        item.history,
        item.answer,
        item.settings,
        item.updated_at,
        note,
    )


def test_a_short_answer_and_a_note_make_an_item_that_scores_the_answer_and_carries_the_note(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    note = "The answer only said neutrality."
    write_gold([corrected(tmp_path, "a cap on Ukraine's armed forces", note)], tmp_path / "docs", gold)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        [item] = load_gold(gold)
    assert item.answers == ["a cap on Ukraine's armed forces"] and item.sources == ["news/brief.md"]
    assert item.note == note
    assert not caught  # 'note' is a field of the format, not an unknown one
    assert item.required is None and SENTENCE_TAG not in item.tags


def test_a_sentence_typed_as_the_answer_is_scored_by_its_key_words(tmp_path: Path) -> None:
    sentence = "Besides neutrality, Moscow's terms include a cap on Ukraine's armed forces."
    item = gold_item(corrected(tmp_path, sentence, question="What does Russia demand?"), tmp_path / "docs")
    assert item.answers == [sentence] and SENTENCE_TAG in item.tags
    # Its content words the question does not hold ("russia" is asked; "Moscow's" is another word) and that the
    # shown passages use ("besides" is the user's own).
    assert item.required == ["neutrality", "moscow", "terms", "include", "cap", "ukraine", "armed", "forces"]
    # The shown passage states it by its key words, so it is the item's source and evidence.
    assert item.sources == ["news/brief.md"]
    assert item.evidence == ["Its terms also include a cap on Ukraine's armed forces."]


def test_key_words_the_documents_do_not_use_are_dropped_unless_too_few_are_left() -> None:
    key = ["25", "member", "staff", "every", "year"]
    assert in_the_documents(key, ["Every employee gets 25 days of paid holiday per year."]) == ["25", "every", "year"]
    assert in_the_documents(["member", "staff", "summer"], ["Every employee gets 25 days."]) == [
        "member",
        "staff",
        "summer",
    ]


def test_key_words_need_every_number_and_most_other_words() -> None:
    key = key_words("Staff get 25 days of paid holiday a year, plus public holidays", "How much holiday do staff get?")
    assert key == ["25", "days", "paid", "year", "plus", "public"]
    assert states_key_words("Each employee is entitled to 25 days of paid leave per year, plus public days.", key)
    assert not states_key_words("Each employee is entitled to 20 days of paid leave per year, plus public days.", key)
    assert not states_key_words("Holidays: 25.", key)  # the number alone is not enough
    assert is_sentence("one two three four five six seven eight nine") and not is_sentence("25 days of paid holiday")
