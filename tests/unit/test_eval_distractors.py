import json
from pathlib import Path

from eval.distractors import build


def _squad(tmp_path: Path) -> Path:
    articles = []
    for number in range(6):
        context = (
            f"Town {number} built its stone bridge in 18{number}4 after a flood. "
            f"The bridge of town {number} has {number + 3} arches and a toll house."
        )
        qas = [
            {
                "id": f"{number}a",
                "question": f"What did town {number} build in 18{number}4?",
                "answers": [{"text": "its stone bridge", "answer_start": context.index("its stone bridge")}],
            },
            {
                "id": f"{number}b",
                "question": f"How many arches has the bridge of town {number}?",
                "answers": [{"text": f"{number + 3} arches", "answer_start": context.index(f"{number + 3} arches")}],
            },
        ]
        articles.append({"title": f"Town_{number}", "paragraphs": [{"context": context, "qas": qas}]})
    path = tmp_path / "squad.json"
    path.write_text(json.dumps({"data": articles}), encoding="utf-8")
    return path


def test_the_set_mixes_articles_with_digests_quizzes_and_copies_that_differ_in_a_named_year(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    gold = build({"xquad": _squad(tmp_path)}, corpus, "dev", seed=0)
    files = {path.name: path.read_text(encoding="utf-8") for path in corpus.glob("*.txt")}
    articles = [name for name in files if name.startswith("Town")]
    assert articles and all(files[name].startswith("Town ") for name in articles)  # the title as a headline
    digest = next(text for name, text in files.items() if name.startswith("digest"))
    assert "built its stone bridge" in digest
    quizzed = [item for item in gold if "quiz" in item.faces]
    quiz = "".join(text for name, text in files.items() if name.startswith("quiz"))
    assert quizzed and all(item.question in quiz for item in quizzed)
    copies = [name for name in files if name.endswith("-update.txt")]
    assert copies
    original = copies[0].replace("-update", "")
    assert files[copies[0]] != files[original]
    # The question that names the changed year is answered by the original only; the one about the arches by
    # either copy, since the arches are the same in both.
    by_question = {item.question: item for item in gold if item.files[0] == original}
    named = [item for question, item in by_question.items() if question.startswith("What did")]
    other = [item for question, item in by_question.items() if question.startswith("How many")]
    assert named[0].files == (original,) and "near-duplicate" in named[0].faces
    assert other[0].files == (original, copies[0])
    # Only articles of the dev half are used; the test half has the others.
    test_gold = build({"xquad": _squad(tmp_path)}, tmp_path / "test-corpus", "test", seed=0)
    assert {item.files[0] for item in gold}.isdisjoint(item.files[0] for item in test_gold)
