"""Answers that mean what their passages say, judged by the real packaged model (issue 24's classes).

The draft is scripted where a test needs one particular mistake (a model rarely makes the same one twice);
whether it is shown is decided by the real claim check with the real local model as its verifier, over real
Chroma and the real embedding model. Where the class is about what the model writes (a false premise, a
comparison), the real model writes too.
"""

from collections.abc import Callable
from pathlib import Path

import pytest

from assistant import Assistant, build_assistant
from assistant.answering.answerers.generative import GenerativeAnswerer
from assistant.models.llm import LocalChatModel
from assistant.text.markers import markers_in
from tests.fixtures.chat_models import ScriptedChatModel

pytestmark = pytest.mark.llm

TALKS = (
    "Talks in Geneva\n\n"
    "Russia demands that Ukraine stay neutral and never join NATO. "
    "Kyiv rejects the demand and says it will keep seeking membership of the alliance.\n"
)
CUP = (
    "Sports digest\n\n"
    "Weekend quiz: Which club won the regional cup this year? A. Harbour Rovers B. Mill Lane C. Eastfield Town\n\n"
    "Can Harbour Rovers win the cup a third time next season? Fans are divided.\n"
)
CUP_REPORT = "Cup final report\n\nEastfield Town won the regional cup this year, beating Mill Lane 2-1 in the final.\n"
DEPOT = (
    "Depot staffing\n\n"
    "The Northgate depot employs 240 people in all. At the Northgate depot, 35 people work the night shift.\n"
    "The depot opened in 1998 and runs 60 buses.\n"
)
SOUTHGATE = "Southgate depot\n\nThe Southgate depot, opened in 2005, has 180 staff; 20 of them work nights.\n"
CLUB = (
    "Rowing club officers\n\n"
    "Maria Lind has been the club's treasurer since 2019. Tom Berg chairs the club, and the secretary is Ana Ruiz.\n"
)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in {
        "talks.txt": TALKS,
        "digest.txt": CUP,
        "final.txt": CUP_REPORT,
        "depot.txt": DEPOT,
        "club.txt": CLUB,
        "southgate.txt": SOUTHGATE,
    }.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def scripted(
    make_assistant: Callable[..., Assistant], local_model: LocalChatModel, corpus: Path, *drafts: str
) -> Assistant:
    """An assistant whose drafts are the given texts, checked with the real model as the verifier."""
    settings = make_assistant(answerer="local").settings
    writer = ScriptedChatModel(*drafts, verifier=local_model)
    assistant = build_assistant(settings, answerer=GenerativeAnswerer(writer, settings, name="local"))
    assistant.ingest([corpus])
    return assistant


def real(make_assistant: Callable[..., Assistant], local_model: LocalChatModel, corpus: Path) -> Assistant:
    settings = make_assistant(answerer="local").settings
    assistant = build_assistant(settings, answerer=GenerativeAnswerer(local_model, settings, name="local"))
    assistant.ingest([corpus])
    return assistant


def test_a_relation_swapped_sentence_is_removed_with_its_reason(
    make_assistant: Callable[..., Assistant], local_model: LocalChatModel, corpus: Path
) -> None:
    assistant = scripted(
        make_assistant,
        local_model,
        corpus,
        "Russia demands that Ukraine stay neutral [1]. Ukraine demands that Russia never join NATO [1].",
    )
    answer = assistant.ask("What does Russia demand of Ukraine?")
    assert answer.answer.startswith("Russia demands that Ukraine stay neutral")
    assert "Ukraine demands" not in answer.answer
    removed = {u.sentence: u.reason for u in answer.unsupported}
    assert "does not" in removed["Ukraine demands that Russia never join NATO [1]."]


def test_a_quiz_option_or_a_question_in_a_passage_is_not_taken_as_fact(
    make_assistant: Callable[..., Assistant], local_model: LocalChatModel, corpus: Path
) -> None:
    assistant = scripted(
        make_assistant,
        local_model,
        corpus,
        "Harbour Rovers won the regional cup this year [1].",
        "Harbour Rovers won the cup [1].",
    )
    quiz = assistant.ask("Which club won the regional cup this year?")
    assert "Harbour Rovers" not in quiz.answer
    # The quiz that restates the question ranks below the report that answers it (retrieval scores a passage by
    # what it states), and the draft taken from the quiz's option is removed against whatever it cites.
    assert Path(quiz.passages[0].source).name == "final.txt", [p.source for p in quiz.passages]
    assert [u.sentence for u in quiz.unsupported] == ["Harbour Rovers won the regional cup this year [1]."]
    asked = assistant.ask("Did Harbour Rovers win the cup?")
    assert "Harbour Rovers won" not in asked.answer


def test_a_nearby_attribute_is_not_given_as_the_answer(
    make_assistant: Callable[..., Assistant], local_model: LocalChatModel, corpus: Path
) -> None:
    # The depot's whole staff given as its night-shift staff: the figure is in the passage, the role is not.
    assistant = scripted(make_assistant, local_model, corpus, "The Northgate depot has 240 night-shift workers [1].")
    answer = assistant.ask("How many people work the night shift at the Northgate depot?")
    assert "240" not in answer.answer
    assert answer.unsupported and "240" in answer.unsupported[0].sentence


def test_a_role_the_passage_gives_to_another_person_is_removed(
    make_assistant: Callable[..., Assistant], local_model: LocalChatModel, corpus: Path
) -> None:
    assistant = scripted(make_assistant, local_model, corpus, "Maria Lind has been the club's treasurer and chair [1].")
    answer = assistant.ask("Which roles has Maria Lind held at the rowing club?")
    assert "chair" not in answer.answer


def test_a_false_premise_about_a_named_entity_is_refused(
    make_assistant: Callable[..., Assistant], local_model: LocalChatModel, corpus: Path
) -> None:
    assistant = real(make_assistant, local_model, corpus)
    answer = assistant.ask("When did Tom Berg become the rowing club's treasurer?")
    # Tom Berg chairs the club; Maria Lind is the treasurer. No date of his may be given as the answer.
    assert answer.refused or "2019" not in answer.answer, answer.answer


def test_a_two_document_comparison_gives_each_value_with_its_own_citation(
    make_assistant: Callable[..., Assistant], local_model: LocalChatModel, corpus: Path
) -> None:
    assistant = real(make_assistant, local_model, corpus)
    answer = assistant.ask(
        "Compare how many people work the night shift at the Northgate depot with how many work nights at the "
        "Southgate depot."
    )
    assert not answer.refused, answer.answer
    lines = answer.answer.split("\n")
    assert len(lines) == 2, answer.answer
    assert "35" in lines[0] and "20" in lines[1], answer.answer
    cited = {c.n: Path(c.source).name for c in answer.citations}
    first, second = (markers_in(line) for line in lines)
    assert {cited[n] for n in first} == {"depot.txt"} and {cited[n] for n in second} == {"southgate.txt"}


def test_a_withdrawn_draft_is_never_streamed(
    make_assistant: Callable[..., Assistant], local_model: LocalChatModel, corpus: Path
) -> None:
    assistant = scripted(make_assistant, local_model, corpus, "Ukraine demands that Russia stay neutral [1].")
    stream = assistant.stream("What does Russia demand?")
    pieces = [piece for piece in stream if piece]  # empty pieces stand for draft tokens: nothing is shown
    answer = stream.answer
    assert answer.refused
    assert pieces[0].startswith("I don't know based on the documents")
    assert not any("Ukraine demands" in piece for piece in pieces)
