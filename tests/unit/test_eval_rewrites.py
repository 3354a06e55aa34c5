"""The string rules behind the adversarial sets: they rewrite when sure and return None otherwise."""

import pytest

from eval.names import is_modifier, name_terms, names_in
from eval.pronouns import HE, IT, THEY, pronouns_for, with_pronoun
from eval.rewrites import conversational, is_how_to, list_items


@pytest.mark.parametrize(
    ("question", "subject", "pronouns", "expected"),
    [
        ("When were Tesla's patents restored?", "Tesla", HE, "When were his patents restored?"),
        ("Who funded Tesla?", "Tesla", HE, "Who funded him?"),
        ("When did Tesla die?", "Tesla", HE, "When did he die?"),
        ("When was the TIV licensed?", "TIV", IT, "When was it licensed?"),
        ("When was the Panthers founded?", "Panthers", THEY, "When were they founded?"),
        ("How many points did the Panthers defense surrender?", "Panthers", THEY, None),  # a noun, not a verb
        ("What did Tesla say about Tesla?", "Tesla", HE, None),  # two mentions: unsure which one
        ("Tesla invented what?", "Tesla", HE, None),
    ],
)
def test_the_subject_becomes_a_pronoun_only_in_safe_places(question: str, subject: str, pronouns, expected) -> None:
    assert with_pronoun(question, subject, pronouns) == expected


def test_pronouns_follow_the_articles_own_questions() -> None:
    assert pronouns_for("Tesla", ["What did he invent?", "Where was his lab?"], is_title=True) == HE
    assert pronouns_for("Normans", [], is_title=True) == THEY
    assert pronouns_for("Warsaw", ["Where is it?"], is_title=True) == IT


@pytest.mark.parametrize(
    ("question", "answer", "items"),
    [
        ("Which countries are represented?", "China, Japan and Korea", ["China", "Japan", "Korea"]),
        (
            "What are the subsectors?",
            "building, heavy and civil engineering, and trade contractors",
            ["building", "heavy and civil engineering", "trade contractors"],
        ),
        ("What countries does Kenya compete with?", "Morocco and Ethiopia", ["Morocco", "Ethiopia"]),
        ("Which department houses it?", "Word and Image", None),  # may be one name
        ("When did it start?", "October 6, 1973", None),
        ("What did Lavoisier discredit?", "phlogiston theory of combustion and corrosion", None),
        ("Who helped him?", "Jamukha, and his protector, Toghrul Khan", None),
    ],
)
def test_list_answers_split_into_required_items_only_when_clear(question: str, answer: str, items) -> None:
    assert list_items(question, answer) == items


def test_names_skip_first_words_months_and_adjective_uses() -> None:
    assert [n.text for n in names_in("Did John C. Calhoun visit the U.S. in March?")] == ["John C. Calhoun", "U.S."]
    assert name_terms("Despite shortcomings, what did NASA do?")[0].text == "NASA"
    question = "Which Florida city has the biggest population?"
    assert is_modifier(question, name_terms(question)[0])


def test_how_to_and_polite_rewordings() -> None:
    assert is_how_to("How do bees make honey?") and not is_how_to("How many bees are there?")
    polite = conversational("When did Tesla die?", 0)
    assert polite.startswith("Hi, I'm new to this and was reading up on Tesla.") and "when did Tesla die?" in polite
