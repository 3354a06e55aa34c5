"""The judge's rules around the model: what it is asked, what is never sent, how replies are read."""

from collections.abc import Iterator

import pytest

from assistant.models.chat import ChatModel, Messages
from assistant.types import Answer, Citation
from eval.judge import Judge, parse_verdict
from eval.report import aggregate


class ScriptedModel(ChatModel):
    """Stands in for the language model only: records the prompts and replies with a fixed word."""

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.prompts: list[Messages] = []

    def stream(self, messages: Messages, *, max_tokens: int, stop: list[str] | None = None) -> Iterator[str]:
        self.prompts.append(messages)
        yield self.reply


def cited_answer(text: str, passage: str) -> Answer:
    citation = Citation(n=1, source="a.txt", chunk_id="c", start=0, end=len(passage), text=passage)
    return Answer(answer=text, refused=False, citations=[citation], standalone_question="q")


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [("Yes.", 1.0), (" no", 0.0), ("YES, it is", 1.0), ("No - missing", 0.0), ("Maybe", None), ("", None)],
)
def test_replies_are_read_as_yes_no_or_ungraded(reply: str, verdict: float | None) -> None:
    assert parse_verdict(reply) == verdict


def test_faithfulness_shows_the_cited_passage_and_the_answer_without_markers() -> None:
    model = ScriptedModel("yes")
    score = Judge(model).faithfulness(cited_answer("Russia demands neutrality [1].", "Moscow wants a neutral Ukraine."))
    assert score == 1.0
    user = model.prompts[0][-1]["content"]
    assert "[1] Moscow wants a neutral Ukraine." in user
    assert "Russia demands neutrality." in user


def test_correctness_lists_every_reference_answer() -> None:
    model = ScriptedModel("no")
    score = Judge(model).correctness("What?", cited_answer("Blue [1].", "Blue."), ["red", "crimson"])
    assert score == 0.0
    assert "red; crimson" in model.prompts[0][-1]["content"]


def test_refusals_and_uncited_answers_never_reach_the_model() -> None:
    model = ScriptedModel("yes")
    judge = Judge(model)
    refusal = Answer(answer="I don't know based on the documents.", refused=True, standalone_question="q")
    uncited = Answer(answer="Something.", refused=False, standalone_question="q")
    assert judge.faithfulness(refusal) is None
    assert judge.correctness("q", refusal, ["x"]) is None
    assert judge.faithfulness(uncited) == 0.0
    assert model.prompts == []


def base_record(**extra: object) -> dict[str, object]:
    record: dict[str, object] = {f"hit@{k}": 1.0 for k in (1, 3, 5, 10)}
    record.update(
        rr=1.0,
        answer_contains=1.0,
        answer_f1=1.0,
        answer_em=1.0,
        citation_validity=1.0,
        citation_precision=1.0,
        citation_recall=1.0,
        answerable=True,
        refused=False,
        latency_s=1.0,
        retrieve_s=0.1,
        answer_s=0.9,
    )
    record.update(extra)
    return record


def test_judge_metrics_average_the_graded_answers_and_exist_only_with_a_judge() -> None:
    judged = [
        base_record(judge_faithfulness=1.0, judge_correctness=0.0),
        base_record(judge_faithfulness=0.0, judge_correctness=None),
    ]
    metrics = aggregate(judged)
    assert metrics["judge_faithfulness"] == 0.5
    assert (metrics["judge_correctness"], metrics["judge_correctness_n"]) == (0.0, 1)
    assert "judge_faithfulness" not in aggregate([base_record()])
