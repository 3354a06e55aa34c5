from assistant.types import Answer, Citation, Passage, Unsupported
from eval import metrics
from eval.numbers import numbers_in
from eval.sentences import sentences


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
    both = answer(
        "Neutrality [1]. Honey [2]. Unbacked claim.",
        [citation(1, "/c/news.txt", 0, 26), citation(2, "/c/bees.txt", 27, 43)],
    )
    assert metrics.citation_precision(both, ["news.txt"], ["neutrality"], []) == 0.5
    assert metrics.citation_recall(both) == 2 / 3
    assert (
        metrics.citation_precision(answer("I don't know based on the documents.", [], refused=True), [], [], []) is None
    )
    assert metrics.citation_recall(answer("I don't know based on the documents.", [], refused=True)) is None


def test_percentiles_use_nearest_rank() -> None:
    assert metrics.percentile([3.0, 1.0, 2.0, 4.0], 50) == 2.0
    assert metrics.percentile([3.0, 1.0, 2.0, 4.0], 95) == 4.0
    assert metrics.percentile([], 50) == 0.0


def test_answer_recall_is_the_share_of_required_items_named() -> None:
    required = ["neutrality", "demilitarization", "denazification"]
    assert metrics.answer_recall("Russia demands neutrality and demilitarization [1].", required) == 2 / 3
    assert metrics.answer_recall("Neutrality, demilitarisation, denazification [1, 2].", required) == 2 / 3
    assert metrics.answer_recall("It names item [1].", ["1"]) == 0.0  # a marker is not an answer


TOWER = "The tower is 3 or 5 metres tall; it cost 2000 euros in 1998."


def numbers_answer(text: str, cited: str = TOWER, refused: bool = False) -> Answer:
    citations = [Citation(n=1, source="t.txt", chunk_id="t", start=0, end=len(cited), text=cited)]
    return Answer(
        answer=text, refused=refused, citations=citations, passages=[passage("t.txt", cited)], standalone_question="q"
    )


def test_number_precision_keeps_decimals_whole_and_reads_thousands_separators() -> None:
    # 3.5 is not supported by a passage that says 3 or 5; 2,000 is the passage's 2000; [1] is not a number.
    assert metrics.number_support(numbers_answer("It is 3.5 metres tall and cost 2,000 euros [1].")) == (2, 1)
    assert metrics.number_support(numbers_answer("It cost 2,000.00 euros in 1998 [1].")) == (2, 2)
    assert metrics.number_support(numbers_answer("It was built in 1989 [1].")) == (1, 0)
    assert metrics.number_support(numbers_answer("I don't know based on the documents.", refused=True)) == (0, 0)


def test_numbers_are_compared_after_normalizing() -> None:
    assert numbers_in("2,000 people, 3.50 m, 1,2 or 007 [12] [3, 4]") == ["2000", "3.5", "7"]
    assert numbers_in("COVID-19, SARS-CoV-2, 2019-nCoV and H1N1 are names, not numbers") == []
    assert numbers_in("four boats and 12 nets", words=True) == ["12", "4"]


def test_unsupported_rate_counts_removed_sentences_against_all_written() -> None:
    shown = Answer(
        answer="Bees swarm in spring [1]. The hive grows crowded [1].",
        refused=False,
        standalone_question="q",
        unsupported=[Unsupported(sentence="Bees swarm in 1911 [1].", reason="the number 1911 is not in passage [1]")],
    )
    assert metrics.answer_sentence_count(shown) == 2
    assert metrics.unsupported_rate(len(shown.unsupported), metrics.answer_sentence_count(shown)) == 1 / 3
    assert metrics.unsupported_rate(0, 0) is None


def test_sentences_keep_abbreviations_decimals_and_list_items_whole() -> None:
    text = "Dr. Smith measured 3.5 m in the U.S. in May [1]. Then it fell! [2]\n1. Descale it [1].\n- Rinse it"
    assert sentences(text) == [
        "Dr. Smith measured 3.5 m in the U.S. in May [1].",
        "Then it fell! [2]",
        "1. Descale it [1].",
        "- Rinse it",
    ]


def test_list_numbering_is_not_counted_as_a_number() -> None:
    from eval.numbers import numbers_in

    assert numbers_in("Steps:\n1. Fill it with 2 litres [1].\n2. Boil it [1].") == ["2"]
