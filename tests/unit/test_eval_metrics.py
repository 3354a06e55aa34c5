from assistant.types import Answer, Citation, Passage
from eval import metrics


def test_normalization_drops_case_punctuation_and_articles_in_any_script() -> None:
    assert metrics.normalize("The  “Only” real guarantee!") == "only real guarantee"
    assert metrics.normalize("Ｃafé, naïve — déjà-vu") == "café naïve déjà vu"


def test_exact_match_and_f1_take_the_best_of_several_answers() -> None:
    answers = ["demilitarization", "neutrality of Ukraine"]
    assert metrics.exact_match("Neutrality of Ukraine.", answers) == 1.0
    assert metrics.token_f1("neutrality", answers) == 0.5  # precision 1, recall 1/3
    assert metrics.token_f1("", answers) == 0.0
    assert metrics.token_f1("anything", []) == 0.0


def test_contains_answer_needs_whole_words() -> None:
    assert metrics.contains_answer("They want neutrality [1].", ["neutrality"]) == 1.0
    assert metrics.contains_answer("The 2022 war", ["202"]) == 0.0
    assert metrics.contains_answer("anything", [""]) == 0.0


def passage(source: str, text: str = "x", start: int = 0) -> Passage:
    return Passage(source=source, chunk_id=source, start=start, end=start + len(text), text=text)


def test_hit_at_k_matches_gold_sources_by_whole_path_components() -> None:
    ranked = [passage("/data/corpus/other.md"), passage("/data/corpus/sub/brief.md")]
    assert metrics.first_relevant_rank(ranked, ["sub/brief.md"], []) == 2
    assert metrics.first_relevant_rank(ranked, ["rief.md"], []) is None
    assert metrics.hit_at(2, 1) == 0.0 and metrics.hit_at(2, 3) == 1.0 and metrics.hit_at(None, 10) == 0.0
    assert metrics.reciprocal_rank(2) == 0.5 and metrics.reciprocal_rank(None) == 0.0


def test_without_sources_a_passage_is_relevant_when_it_holds_an_answer() -> None:
    ranked = [passage("a.txt", "nothing here"), passage("b.txt", "Founded in 1911 by the city.")]
    assert metrics.first_relevant_rank(ranked, [], ["1911"]) == 2


def test_refusals_are_scored_both_ways() -> None:
    scores = metrics.refusal_scores([True, True, False, False], [True, False, True, False])
    assert scores == {"refusal_accuracy": 0.5, "refusal_precision": 0.5, "refusal_recall": 0.5}
    nothing_to_refuse = metrics.refusal_scores([False, False], [False, False])
    assert nothing_to_refuse["refusal_accuracy"] == 1.0 and nothing_to_refuse["refusal_recall"] == 1.0


DOC = "Russia demands neutrality. Bees make honey."


def answer(text: str, citations: list[Citation], refused: bool = False) -> Answer:
    shown = [passage("/c/news.txt", DOC[:26]), passage("/c/bees.txt", DOC[27:], 27)]
    return Answer(answer=text, refused=refused, citations=citations, passages=shown, standalone_question="q")


def citation(n: int, source: str, start: int, end: int) -> Citation:
    return Citation(n=n, source=source, chunk_id=source, start=start, end=end, text=DOC[start:end])


def test_citation_validity_checks_markers_and_offsets() -> None:
    good = answer("Neutrality [1].", [citation(1, "/c/news.txt", 0, 26)])
    assert metrics.citation_validity(good, lambda source: DOC) == 1.0
    unknown_marker = answer("Neutrality [3].", [])
    assert metrics.citation_validity(unknown_marker, lambda source: DOC) == 0.0
    shifted = good.model_copy(update={"citations": [citation(1, "/c/news.txt", 0, 26).model_copy(update={"start": 1})]})
    assert metrics.citation_validity(shifted, lambda source: DOC) == 0.0


def test_raw_citation_validity_counts_every_marker_the_answerer_wrote() -> None:
    assert metrics.raw_citation_validity("Neutrality [1]. Honey [2].", 2) == 1.0
    assert metrics.raw_citation_validity("Neutrality [1, 3]. Honey [0].", 2) == 1 / 3
    assert metrics.raw_citation_validity("Neutrality [7].", 2) == 0.0
    assert metrics.raw_citation_validity("I don't know based on the documents.", 2) is None
    assert metrics.raw_citation_validity("Anything [1].", 0) == 0.0


def test_citation_precision_and_recall() -> None:
    both = answer("Neutrality [1]. Honey [2]. Unbacked claim.", [citation(1, "/c/news.txt", 0, 26), citation(2, "/c/bees.txt", 27, 43)])
    assert metrics.citation_precision(both, ["news.txt"], ["neutrality"], []) == 0.5
    assert metrics.citation_recall(both) == 2 / 3
    assert metrics.citation_precision(answer("I don't know based on the documents.", [], refused=True), [], [], []) is None
    assert metrics.citation_recall(answer("I don't know based on the documents.", [], refused=True)) is None


def test_percentiles_use_nearest_rank() -> None:
    assert metrics.percentile([3.0, 1.0, 2.0, 4.0], 50) == 2.0
    assert metrics.percentile([3.0, 1.0, 2.0, 4.0], 95) == 4.0
    assert metrics.percentile([], 50) == 0.0
