from assistant.retrieval import reciprocal_rank_fusion


def test_items_found_by_both_retrievers_rise_to_the_top() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["c", "d", "b"]], k=60)
    assert {item for item, _ in fused[:2]} == {"b", "c"}
    assert {item for item, _ in fused} == {"a", "b", "c", "d"}


def test_fusion_of_nothing_is_empty() -> None:
    assert reciprocal_rank_fusion([[], []]) == []
