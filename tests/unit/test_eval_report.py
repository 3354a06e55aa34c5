"""score_item and aggregate on hand-made answers: the claim metrics, false premises, first-token time."""

import pytest

from assistant.types import Answer, Citation, Passage, Timings, Unsupported
from eval.compare import compare, failed_floors
from eval.gold import GoldItem
from eval.report import aggregate, markdown, per_tag
from eval.runner import score_item

PASSAGE = "Russia demands the neutrality and demilitarization of Ukraine. Talks began on 28 February 2022."


def shown(text: str, refused: bool = False, **extra: object) -> Answer:
    passage = Passage(source="/c/brief.md", chunk_id="b", start=0, end=len(PASSAGE), text=PASSAGE)
    citation = Citation(n=1, source="/c/brief.md", chunk_id="b", start=0, end=len(PASSAGE), text=PASSAGE)
    return Answer(
        answer=text,
        refused=refused,
        citations=[] if refused else [citation],
        passages=[passage],
        standalone_question="q",
        **extra,
    )


def scored(item: GoldItem, answer: Answer) -> dict[str, object]:
    return score_item(item, answer, answer.passages, lambda source: PASSAGE)


LIST = GoldItem(
    id="l",
    question="What does Russia demand?",
    answers=["neutrality"],
    sources=["brief.md"],
    required=["neutrality", "demilitarization", "denazification"],
    tags=["list"],
)
PREMISE = GoldItem(id="f", question="What does Russia demand of Crimea?", answerable=False, tags=["false-premise"])
NUMERIC = GoldItem(
    id="n", question="When did talks begin?", answers=["28 February 2022"], sources=["brief.md"], tags=["numeric"]
)


def test_a_record_keeps_the_removed_sentences_with_reasons_and_the_refusal_reason() -> None:
    removed = Unsupported(sentence="Talks began in 2021 [1].", reason="the number 2021 is not in passage [1]")
    record = scored(LIST, shown("Russia demands neutrality and demilitarization [1].", unsupported=[removed]))
    assert record["unsupported"] == [
        {"sentence": "Talks began in 2021 [1].", "reason": "the number 2021 is not in passage [1]"}
    ]
    assert (record["unsupported_n"], record["sentences_n"], record["unsupported_rate"]) == (1, 1, 0.5)
    assert record["answer_recall"] == 2 / 3 and record["answer_em"] == 0.0 and record["answer_contains"] == 1.0
    refusal = scored(
        PREMISE,
        shown(
            "I don't know based on the documents: they do not mention Crimea.",
            refused=True,
            refusal_reason="they do not mention Crimea",
        ),
    )
    assert refusal["refusal_reason"] == "they do not mention Crimea" and refusal["unsupported_rate"] is None


def test_markers_do_not_count_as_words_of_the_answer() -> None:
    record = scored(NUMERIC, shown("28 February 2022 [1]."))
    assert record["answer_em"] == 1.0 and record["number_precision"] == 1.0


def test_aggregate_reports_every_required_metric_and_pools_the_claim_counts() -> None:
    records = [
        scored(LIST, shown("Neutrality [1].", timings=Timings(first_token_s=0.4, total_s=2.0))),
        scored(
            NUMERIC,
            shown(
                "Talks began on 28 February 2021 [1].",
                timings=Timings(first_token_s=0.8, total_s=3.0),
                unsupported=[Unsupported(sentence="x", reason="y")] * 3,
            ),
        ),
        scored(PREMISE, shown("I don't know based on the documents.", refused=True)),
        scored(PREMISE.model_copy(update={"id": "f2"}), shown("Russia demands neutrality [1].")),
    ]
    metrics = aggregate(records)
    for name in [
        "n",
        "hit@1",
        "hit@3",
        "hit@5",
        "hit@10",
        "mrr",
        "answer_contains",
        "answer_f1",
        "answer_recall",
        "refusal_accuracy",
        "citation_validity",
        "citation_precision",
        "unsupported_rate",
        "number_precision",
        "false_premise_refusal",
        "latency_p50_s",
        "latency_p95_s",
        "first_token_p50_s",
    ]:
        assert name in metrics, name
    assert metrics["answer_recall"] == round(1 / 3, 4)
    assert metrics["false_premise_refusal"] == 0.5
    assert metrics["unsupported_rate"] == 0.5  # 3 removed; 3 kept (1 + 1 + 1; the refusal is not counted)
    assert metrics["number_precision"] == 0.5  # 28 and 2021 stated; the passage gives 28 and 2022
    assert metrics["first_token_p50_s"] == 0.4


def test_a_set_without_required_items_or_false_premises_reports_none_not_zero() -> None:
    metrics = aggregate([scored(NUMERIC, shown("28 February 2022 [1]."))])
    assert metrics["answer_recall"] is None and metrics["false_premise_refusal"] is None
    assert metrics["first_token_p50_s"] is None
    assert failed_floors(metrics, [("answer_recall", 0.85)]) == [
        "answer_recall is absent from the report, so the gate answer_recall=0.85 cannot be checked"
    ]
    rows, regressed = compare({"metrics": metrics}, {"metrics": {**metrics, "unsupported_rate": 0.5}})
    assert regressed and [row["metric"] for row in rows if row["regressed"]] == ["unsupported_rate"]


@pytest.mark.parametrize("tag", ["list", "numeric", "false-premise"])
def test_the_per_tag_table_shows_the_new_metrics(tag: str) -> None:
    records = [
        scored(LIST, shown("Neutrality [1].")),
        scored(NUMERIC, shown("28 February 2022 [1].")),
        scored(PREMISE, shown("I don't know based on the documents.", refused=True)),
    ]
    table = per_tag(records)
    assert set(table[tag]) >= {"n", "answer_recall", "refusal_accuracy", "unsupported_rate", "number_precision"}
    report = {
        "gold": "g.jsonl",
        "corpus": "c",
        "created": "now",
        "settings": {"answerer": "x", "k": 5},
        "metrics": aggregate(records),
        "per_tag": table,
        "per_question": records,
    }
    text = markdown(report)
    assert "| tag | n | answer_contains | answer_recall | refusal_accuracy |" in text and f"| {tag} | 1 |" in text
