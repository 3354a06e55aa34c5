from assistant.answerers.base import REFUSAL
from assistant.citations import markers_in, validate
from assistant.types import Passage

DOC = "Russia demands neutrality for Ukraine. It also wants demilitarization. Bees make honey in summer."
PASSAGES = [
    Passage(source="news.txt", chunk_id="a", start=0, end=70, text=DOC[0:70]),
    Passage(source="bees.txt", chunk_id="b", start=71, end=len(DOC), text=DOC[71:]),
]


def lookup(source: str) -> str:
    return DOC


def test_markers_are_read_singly_and_in_lists() -> None:
    assert markers_in("A [1]. B [2, 3]. C [10]") == [1, 2, 3, 10]


def test_markers_naming_no_shown_passage_are_removed() -> None:
    checked = validate("Russia demands neutrality [1][7].", PASSAGES, lookup)
    assert checked.text == "Russia demands neutrality [1]."
    assert [c.n for c in checked.citations] == [1]
    assert checked.citations[0].source == "news.txt"


def test_citation_points_at_the_supporting_sentence() -> None:
    checked = validate("Russia wants demilitarization [1].", PASSAGES, lookup)
    highlight = checked.citations[0].highlights[0]
    assert DOC[highlight.start : highlight.end] == highlight.text == "It also wants demilitarization."


def test_sentence_without_marker_or_support_is_flagged() -> None:
    checked = validate("Russia demands neutrality [1]. The moon is made of cheese [2].", PASSAGES, lookup)
    assert checked.unsupported == ["The moon is made of cheese [2]."]


def test_passage_whose_offsets_no_longer_match_the_document_cannot_be_cited() -> None:
    moved = [PASSAGES[0].model_copy(update={"start": 5})]
    checked = validate("Russia demands neutrality [1].", moved, lookup)
    assert checked.citations == []


def test_refusal_is_recognised_and_carries_no_citations() -> None:
    checked = validate(REFUSAL + " [1]", PASSAGES, lookup)
    assert checked.refused and checked.text == REFUSAL and checked.citations == []


def test_a_marker_naming_the_wrong_passage_moves_to_the_passage_that_says_it() -> None:
    checked = validate("Bees make honey in summer [1].", PASSAGES, lookup)
    assert checked.text == "Bees make honey in summer [2]."
    assert [c.n for c in checked.citations] == [2] and checked.unsupported == []
