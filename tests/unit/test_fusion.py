from assistant.retrieval import reciprocal_rank_fusion, weighted_fusion


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
