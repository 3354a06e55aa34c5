"""The sentence support rules (no model), comparison splitting, and reading a yes/no verdict from a server."""

import pytest

from assistant.answering.comparison import comparison_parts, merge, renumbered
from assistant.answering.support import SupportJudge, copies, dropped_frame, misplaced_number, mood, reorders
from assistant.answering.verification import CheckedAnswer, refused
from assistant.models.chat import yes_share
from assistant.models.llm import OpenAIChatModel
from assistant.settings import Settings
from assistant.types import Citation, Passage
from tests.fixtures.fake_llm_server import fake_llm_server

TALKS = "Russia demands that Ukraine never join NATO and remain neutral."
DEPOT = "The Northgate depot employs 240 people in all. Of them, 35 work the night shift."


class Always:
    """A verifier that answers every yes/no question with the same probability, and counts the questions."""

    def __init__(self, probability: float) -> None:
        self.probability = probability
        self.asked = 0

    def yes_probability(self, messages: list[dict[str, str]]) -> float:
        self.asked += 1
        return self.probability


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Can Harbour Rovers win the cup a third time?", "a question"),
        ("Quiz: Which club won? A. Harbour Rovers B. Mill Lane C. Eastfield", "a quiz"),
        ("If the heat passes 30 degrees, staff may leave early.", "a condition"),
        ("Eastfield Town won the cup.", None),
    ],
)
def test_the_mood_of_a_passage_sentence(sentence: str, expected: str | None) -> None:
    assert mood(sentence) == expected


def test_a_claim_resting_on_a_question_or_a_quiz_is_unsupported_even_without_a_model() -> None:
    judge = SupportJudge(None)
    asked = judge.judge("Harbour Rovers won the cup.", ["Can Harbour Rovers win the cup a third time?"], "passage [2]")
    assert not asked.ok and asked.reason == "passage [2] does not assert it: it only asks whether this is so"
    quiz = judge.judge("Mill Lane won.", ["Quiz: Which club won? A. Harbour Rovers B. Mill Lane C. Eastfield"])
    assert not quiz.ok and "quiz" in quiz.reason


def test_a_copy_is_supported_without_asking_the_model_and_a_changed_one_is_asked() -> None:
    verifier = Always(0.9)
    judge = SupportJudge(verifier)
    assert judge.judge("Russia demands that Ukraine never join NATO.", [TALKS]).ok and verifier.asked == 0
    assert judge.judge("Moscow wants Kyiv to stay out of the alliance.", [TALKS]).ok and verifier.asked == 1
    assert not SupportJudge(Always(0.3)).judge("Moscow wants Kyiv to stay out of the alliance.", [TALKS]).ok


def test_exchanged_names_need_a_sure_model() -> None:
    claim = "Ukraine demands that Russia remain neutral."
    assert reorders(claim, TALKS) and not copies(claim, TALKS)
    assert not SupportJudge(Always(0.7)).judge(claim, [TALKS]).ok
    assert SupportJudge(Always(0.95)).judge(claim, [TALKS]).ok
    # A column header written in lower case by the claim is no name: the row is not taken as reordered.
    assert not reorders("There are 12 drivers at the Quayside depot.", "Depot: Quayside; Drivers: 12.")


@pytest.mark.parametrize(
    ("claim", "sentence", "dropped"),
    [
        ("Russia demands that Ukraine join NATO.", TALKS, "a negation"),
        ("The plan was approved.", "It is false that the plan was approved.", "a negation"),
        ("The council will open a new library.", "The council plans to open a new library.", "a hedge"),
        ("Staff may leave early.", "If the heat passes 30 degrees, staff may leave early.", "a condition"),
        ("X won B.", "X did not win A, but X won B.", None),
    ],
)
def test_a_copy_that_drops_a_negation_hedge_or_condition_is_refused(claim: str, sentence: str, dropped: str) -> None:
    assert dropped_frame(claim, sentence) == dropped
    assert SupportJudge(Always(1.0)).judge(claim, [sentence]).ok is (dropped is None)


def test_a_number_given_to_something_the_passage_does_not_count_with_it() -> None:
    assert misplaced_number("The depot has 240 night-shift workers.", DEPOT) == ("240", "night shift")
    assert misplaced_number("35 people work the night shift.", DEPOT) is None
    assert misplaced_number("The depot employs 240 people.", DEPOT) is None
    verdict = SupportJudge(Always(1.0)).judge("The depot has 240 night-shift workers.", [DEPOT], "passage [1]")
    assert not verdict.ok and verdict.reason == "passage [1] gives 240 for something else, not for night shift"


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        (
            "Compare what Russia demands with what Zelensky wants.",
            ["What Russia demands?", "What Zelensky wants?"],
        ),
        (
            "How did the staff count change between 2021 and March 2023?",
            ["What was the staff count in 2021?", "What was the staff count in March 2023?"],
        ),
        ("What is the difference between plan A and plan B?", ["What about plan A?", "What about plan B?"]),
        ("What does Russia demand?", []),
        ("Which club won the cup?", []),
    ],
)
def test_a_comparing_question_splits_into_its_parts(question: str, parts: list[str]) -> None:
    assert comparison_parts(question) == parts


def passage(source: str) -> Passage:
    return Passage(source=source, chunk_id=source, start=0, end=4, text="text")


def test_parts_are_merged_with_their_own_citations_and_a_missing_part_is_named() -> None:
    first = CheckedAnswer(
        "A is 5 [1].", refused=False, citations=[Citation(n=1, **passage("a.txt").model_dump(exclude={"score"}))]
    )
    second = CheckedAnswer(
        "B is 7 [2].", refused=False, citations=[Citation(n=2, **passage("b.txt").model_dump(exclude={"score"}))]
    )
    merged, passages = merge(
        [("What about A?", first, [passage("a.txt")]), ("What about B?", second, [passage("x.txt"), passage("b.txt")])]
    )
    assert merged.text == "A is 5 [1].\nB is 7 [3]." and [c.n for c in merged.citations] == [1, 3]
    assert [p.source for p in passages] == ["a.txt", "x.txt", "b.txt"]
    partial, _ = merge([("What about A?", first, [passage("a.txt")]), ("What about C?", refused("no C"), [])])
    assert not partial.refused and partial.text.endswith("On C, the documents found say nothing: no C.")
    assert renumbered("x [1, 2].", 2) == "x [3, 4]."


def test_yes_share_compares_the_two_replies_only() -> None:
    assert yes_share(-1.0, -1.0) == 0.5
    assert yes_share(0.0, -5.0) > 0.99


@pytest.mark.integration  # a scripted OpenAI-compatible server on a local port
@pytest.mark.parametrize(("reply", "probability"), [("Yes.", 1.0), ("No", 0.0), ("I cannot tell", 0.0)])
def test_a_server_without_log_probabilities_is_read_from_its_first_word(reply: str, probability: float) -> None:
    with fake_llm_server(reply) as llm:
        model = OpenAIChatModel(Settings(answerer="openai", llm_base_url=llm.url))
        assert model.yes_probability([{"role": "user", "content": "Is it so?"}]) == probability
        assert model.yes_probability([{"role": "user", "content": "Is it so?"}]) == probability
        # The first question tried log-probabilities once; the fallback is kept for the rest.
        assert sum(1 for request in llm.requests if request.get("logprobs")) == 1


def test_a_table_row_supports_a_figure_under_the_column_the_claim_names() -> None:
    row = "Depot staffing — Depot: Quayside; Weekend hours: 10:00-18:00; Drivers: 12."
    judge = SupportJudge(Always(0.0))  # the model would refuse both: the row decides
    assert judge.judge("There are 12 drivers working weekends at the Quayside depot.", [row]).ok
    wrong = judge.judge("The Quayside depot has 12 weekend hours.", [row], "passage [1]")
    assert not wrong.ok and wrong.reason == "passage [1] gives 12 for something else, not for weekend hours"
