"""Pages that repeat a question's words without answering it (a quiz, a digest, a copy with another year)
do not push the document that answers it out of first place."""

from collections.abc import Callable
from pathlib import Path

from assistant import Assistant

ARTICLE = (
    "Harbour town ferry\n\n"
    "A steam paddle boat opened the crossing from Oban to the island of Mull in 1864. "
    "Its crossing took ninety minutes in calm weather and twice that in winter storms. "
    "Fishermen used the boat to carry their catch to the railway at Oban. "
    "A diesel ferry replaced the paddle boat in 1952, and a drive-on car ferry followed in 1973.\n"
)
QUIZ = (
    "Quiz 12\n\nHow closely did you read this week? The key is at the bottom.\n\n"
    "1. In which year did the first ferry sail between Oban and Mull?\n"
    "   a) 1864\n   b) 1902\n   c) 1781\n   d) 1939\n\n"
    "2. Which cheese is made in the caves of the valley?\n   a) Brie\n   b) Roquefort\n\n"
    "Key: 1 a, 2 b\n"
)
DIGEST = (
    "Weekly digest 4\n\nThe stories of the week in brief.\n\n"
    "Harbour town ferry. A steam paddle boat opened the crossing from Oban to the island of Mull in 1864.\n\n"
    "Valley cheese. Roquefort ripens for three months in limestone caves where cold air flows through cracks.\n\n"
    "City budget. The council voted to spend most of the new road tax on bus lanes and cycle paths.\n\n"
    "Orchard news. A late frost cut the apple harvest by a third in the northern valleys.\n"
)


def test_the_article_outranks_a_quiz_that_restates_the_question_and_a_digest_that_repeats_it(
    make_assistant: Callable[..., Assistant], tmp_path: Path
) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "ferry.txt").write_text(ARTICLE, encoding="utf-8")
    (folder / "quiz-12.txt").write_text(QUIZ, encoding="utf-8")
    (folder / "digest-4.txt").write_text(DIGEST, encoding="utf-8")
    assistant = make_assistant(answerer="extractive")
    assistant.ingest([folder])
    for question in (
        "In which year did the first ferry sail between Oban and Mull?",
        "What opened the crossing from Oban to Mull?",
    ):
        found = [Path(passage.source).name for passage in assistant.search(question, 3)]
        assert found[0] == "ferry.txt", (question, found)


def test_a_copy_that_differs_in_the_year_the_question_names_ranks_below_the_one_that_holds_it(
    make_assistant: Callable[..., Assistant], tmp_path: Path
) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "ferry.txt").write_text(ARTICLE, encoding="utf-8")
    (folder / "ferry-update.txt").write_text(ARTICLE.replace("1952", "1955"), encoding="utf-8")
    assistant = make_assistant(answerer="extractive")
    assistant.ingest([folder])
    found = [Path(p.source).name for p in assistant.search("What replaced the paddle boat in 1952?", 2)]
    assert found[0] == "ferry.txt", found


def test_the_top_passages_reach_other_documents_before_a_third_passage_of_the_same_one(
    make_assistant: Callable[..., Assistant], tmp_path: Path
) -> None:
    long_article = "\n\n".join(
        f"Section {n}. The ferry between Oban and Mull carried {n * 100} passengers in week {n} of the summer. "
        "Crews loaded cars, post and fish boxes at the pier before each crossing."
        for n in range(1, 25)
    )
    (tmp_path / "ferry-log.txt").write_text(long_article, encoding="utf-8")
    (tmp_path / "ferry.txt").write_text(
        "Harbour town ferry\n\nThe ferry between Oban and Mull was first run by a steam paddle boat in 1864. "
        "Its crossing took ninety minutes in calm weather and twice that in winter storms. "
        "Fishermen used the boat to carry their catch to the railway at Oban. "
        "A diesel ferry replaced the paddle boat in 1952, and a drive-on car ferry followed in 1973.\n",
        encoding="utf-8",
    )
    assistant = make_assistant(answerer="extractive", chunk_size=300, chunk_overlap=0)
    assistant.ingest([tmp_path / "ferry-log.txt", tmp_path / "ferry.txt"])
    found = [Path(p.source).name for p in assistant.search("How many passengers did the Oban and Mull ferry carry?", 3)]
    assert "ferry.txt" in found, found
