from assistant.answering.retrieval import (
    reciprocal_rank_fusion,
    spread_sources,
    stating_share,
    stating_similarity,
    weighted_fusion,
)
from assistant.index.store import DenseHits
from assistant.text import content_terms


def test_items_found_by_both_retrievers_rise_to_the_top() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["c", "d", "b"]], k=60)
    assert {item for item, _ in fused[:2]} == {"b", "c"}
    assert {item for item, _ in fused} == {"a", "b", "c", "d"}


def test_fusion_of_nothing_is_empty() -> None:
    assert reciprocal_rank_fusion([[], []]) == []


def test_weighted_fusion_keeps_how_much_better_the_best_keyword_match_is() -> None:
    # Rank-only fusion would tie 'exact' (1st by keywords, 3rd by meaning) with 'vague' (3rd, 1st);
    # with scores, a keyword match far ahead of the rest wins over a near tie in dense similarity.
    dense = {"vague": 0.52, "other": 0.51, "exact": 0.50}
    keyword = {"exact": 12.0, "other": 3.0, "vague": 2.0}
    fused = weighted_fusion(dense, keyword, ["vague", "other", "exact"], dense_weight=0.5)
    assert [item for item, _ in fused] == ["exact", "other", "vague"]
    assert fused[0][1] == 0.5 * 0.50 + 0.5 * 1.0


def test_weighted_fusion_without_keyword_matches_ranks_by_meaning() -> None:
    fused = weighted_fusion({"a": 0.2, "b": 0.7}, {}, ["a", "b"], dense_weight=0.5)
    assert [item for item, _ in fused] == ["b", "a"]


def test_a_question_printed_in_a_passage_adds_nothing_to_its_dense_score() -> None:
    quiz = "Quiz 3\n\n1. Which river floods the delta each spring?\n   a) The Nile\n   b) The Rhine\n"
    # The quiz's question (sentence 1) is the nearest vector by far; its other sentences are not reached.
    hits = DenseHits({"quiz": [(0.97, 1)]}, floor=0.2)
    assert stating_similarity(hits, "quiz", quiz, second_weight=0.0) == 0.2
    prose = "The Nile floods the delta each spring. Farmers plant after the water falls."
    hits = DenseHits({"prose": [(0.7, 0), (0.4, 1)]}, floor=0.2)
    assert stating_similarity(hits, "prose", prose, second_weight=0.0) == 0.7
    assert round(stating_similarity(hits, "prose", prose, second_weight=0.5), 3) == 0.8  # 0.7 + 0.5 * (0.4 - 0.2)


def test_keyword_score_shrinks_to_the_share_of_query_terms_the_stating_sentences_hold() -> None:
    terms = content_terms("Which river floods the delta each spring?")
    assert stating_share(terms, "The river floods the delta each spring.") == 1.0
    quiz = "Which river floods the delta each spring?\n   a) The Nile\n   b) The Rhine\n"
    assert stating_share(terms, quiz) == 0.0
    assert stating_share(terms, "Nothing in common here.") == 1.0  # no term found: nothing to shrink


def test_each_passage_of_a_document_already_ranked_costs_the_next_one_a_little() -> None:
    ranked = [("a1", 0.90), ("a2", 0.85), ("a3", 0.84), ("b1", 0.80)]
    sources = {"a1": "a.txt", "a2": "a.txt", "a3": "a.txt", "b1": "b.txt"}
    spread = spread_sources(ranked, sources, penalty=0.1)
    assert spread == [("a1", 0.90), ("b1", 0.80), ("a2", 0.85), ("a3", 0.84)]  # the order changes, scores do not
    assert spread_sources(ranked, sources, penalty=0.0) == ranked


def test_a_vector_of_a_whole_chunk_is_never_taken_for_its_first_sentence() -> None:
    question_first = "Which river floods the delta? The Nile floods it every spring."
    hits = DenseHits({"c": [(0.8, -1)]}, floor=0.2)
    assert stating_similarity(hits, "c", question_first, second_weight=0.0) == 0.8
