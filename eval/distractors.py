"""A retrieval set full of distractors, generated from XQuAD and COVID-QA, scored by source document.

    python -m eval.distractors --xquad XQUAD.json --covid COVID-QA.json --out DIR [--split test]

The articles of one half (eval/splits.py) become documents of the kinds a real archive mixes, so that the
document a question was written on has to be told apart from pages that share its words:
- **many documents on the same entities**: each XQuAD paragraph is a news-sized document of its own under
  its article's title; COVID-QA papers (one per file) share viruses, proteins and places;
- **digest pages**: the title and first two sentences of twelve documents each, like a weekly round-up;
- **quiz pages**: a quarter of the questions restated word for word with four options (the right answer and
  three answers of other questions), the key at the bottom;
- **near-duplicates**: when a question names a number (a year, a count) that its document holds, a copy of
  the document with that number changed everywhere; only the original answers the question.

Every answerable question is asked; the hit is its own document, not a digest or quiz that repeats it. A
near-duplicate counts as a hit too unless the changed number is in the question (then only the original
answers it); a question whose answer is the changed number but that does not name it is left out, since only
a guess could tell the two apart. ``gold.jsonl`` lists the question, its files and what it faces (``quiz``,
``near-duplicate``).
"""

from __future__ import annotations

import argparse
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from assistant.text import sentence_spans
from eval.splits import DEV, TEST, Splits
from eval.squad import read_squad, slug

DIGEST_SIZE = 12
QUIZ_SIZE = 8
QUIZ_SHARE = 0.25
# A number a question names: a year or a count of two or more digits (one digit is too common to tell).
NUMBER = re.compile(r"(?<![\w.,])\d{2,}(?:[.,]\d+)?(?![\w]|[.,]\d)")


@dataclass(frozen=True)
class DocumentGold:
    """A question and the files that answer it: the one it was written on, and its near-duplicate when the
    changed number is in neither the question nor its answer. ``faces`` names the distractors made for it."""

    question: str
    files: tuple[str, ...]
    faces: tuple[str, ...] = ()


@dataclass
class _Document:
    file: str
    title: str
    body: str
    questions: list[tuple[str, str]] = field(default_factory=list)  # (question, first answer)


def _documents(paths: dict[str, Path], split: str, seed: int) -> list[_Document]:
    datasets = {name: read_squad(path) for name, path in paths.items()}
    splits = Splits({name: len(articles) for name, articles in datasets.items()}, seed)
    documents: list[_Document] = []
    used: set[str] = set()
    for name, articles in datasets.items():
        for index, article in enumerate(articles):
            if splits.of(name, index) != split:
                continue
            if name == "covid-qa":  # one paper per file, its first line is its title
                context = article.text
                title = context.split("\n", 1)[0].strip()
                pieces = [(title, context, [q for p in article.paragraphs for q in p.questions])]
            else:
                title = article.title.replace("_", " ")
                pieces = [(title, p.context, p.questions) for p in article.paragraphs]
            for title, body, questions in pieces:
                stem = slug(title)[:50]
                file = f"{stem}.txt"
                number = 2
                while file in used:
                    file = f"{stem}-{number}.txt"
                    number += 1
                used.add(file)
                asked = [
                    (" ".join(q.question.split()), " ".join(q.answers[0].split()))
                    for q in questions
                    if not q.impossible and q.answers
                ]
                documents.append(_Document(file, title, body, asked))
    return documents


def _text(document: _Document) -> str:
    # A paper already starts with its title; a paragraph gets its article's title as a headline.
    return document.body if document.body.startswith(document.title) else f"{document.title}\n\n{document.body}"


def _lead(document: _Document, sentences: int = 2) -> str:
    """The first sentences of the document's prose (a paper's header lines, short, are passed over)."""
    body = document.body
    if (abstract := body.find("Abstract:")) != -1:
        body = body[abstract + len("Abstract:") :]
    spans = [body[s:e] for s, e in sentence_spans(body)]
    prose = [" ".join(span.split()) for span in spans if len(span.split()) >= 8]
    return " ".join(prose[:sentences])


def _other_number(number: str, rng: random.Random) -> str:
    if re.fullmatch(r"\d+", number):
        value = int(number)
        if 1000 <= value <= 2100:  # a year moves by a few years
            return str(value + rng.choice([-3, -2, -1, 1, 2, 3]))
        return str(value + max(1, round(value * rng.choice([0.2, 0.3, 0.5]))))
    # A decimal (or a comma-grouped number) changes its last digit.
    last = int(number[-1])
    return number[:-1] + str((last + rng.randint(1, 8)) % 10)


def _near_duplicate(document: _Document, rng: random.Random) -> tuple[_Document, str] | None:
    """A copy of the document with one number, named by one of its questions, changed everywhere."""
    for question, _ in document.questions:
        for number in NUMBER.findall(question):
            pattern = re.compile(rf"(?<![\w.,]){re.escape(number)}(?![\w]|[.,]\d)")
            if pattern.search(document.body):
                other = _other_number(number, rng)
                body = pattern.sub(other, document.body)
                stem = document.file.removesuffix(".txt")
                return _Document(f"{stem}-update.txt", document.title, body), number
    return None


def _digest(number: int, documents: list[_Document]) -> str:
    items = [f"{document.title}. {_lead(document)}" for document in documents]
    return f"Weekly digest {number}\n\nThe stories of the week in brief.\n\n" + "\n\n".join(items) + "\n"


def _quiz(number: int, asked: list[tuple[str, str]], answers: list[str], rng: random.Random) -> str:
    lines = [f"Quiz {number}", "", "How closely did you read this week? The key is at the bottom.", ""]
    key = []
    for position, (question, answer) in enumerate(asked, start=1):
        others = [a for a in dict.fromkeys(answers) if a.lower() != answer.lower()]
        options = [answer, *rng.sample(others, min(3, len(others)))]
        rng.shuffle(options)
        lines.append(f"{position}. {question}")
        lines.extend(f"   {'abcd'[i]}) {option}" for i, option in enumerate(options))
        lines.append("")
        key.append(f"{position} {'abcd'[options.index(answer)]}")
    lines.append("Key: " + ", ".join(key))
    return "\n".join(lines) + "\n"


def build(paths: dict[str, Path], folder: Path, split: str = DEV, seed: int = 0) -> list[DocumentGold]:
    """Write the documents of ``split`` and their distractors into ``folder``; return the questions."""
    rng = random.Random(f"{seed}/distractors/{split}")
    documents = _documents(paths, split, seed)
    folder.mkdir(parents=True, exist_ok=True)
    faces: dict[tuple[str, str], set[str]] = {}
    also: dict[str, str] = {}
    for document in documents:
        (folder / document.file).write_text(_text(document), encoding="utf-8")
        made = _near_duplicate(document, rng)
        changed = ""
        if made:
            copy, changed = made
            (folder / copy.file).write_text(_text(copy), encoding="utf-8")
            also[document.file] = copy.file
        for question, answer in document.questions:
            if changed and changed in NUMBER.findall(question):
                faces[(question, document.file)] = {"near-duplicate"}
            elif changed and changed in NUMBER.findall(answer):
                continue  # only the number tells the two apart, and the question does not name it: no one could
            else:
                faces[(question, document.file)] = set()
    order = documents[:]
    rng.shuffle(order)
    for number, start in enumerate(range(0, len(order), DIGEST_SIZE), start=1):
        text = _digest(number, order[start : start + DIGEST_SIZE])
        (folder / f"digest-{number:03d}.txt").write_text(text, encoding="utf-8")
    asked = [
        (question, answer, document.file)
        for document in documents
        for question, answer in document.questions
        if (question, document.file) in faces
    ]
    answers = [answer for _, answer, _ in asked]
    quizzed = rng.sample(asked, int(len(asked) * QUIZ_SHARE))
    for number, start in enumerate(range(0, len(quizzed), QUIZ_SIZE), start=1):
        group = quizzed[start : start + QUIZ_SIZE]
        text = _quiz(number, [(q, a) for q, a, _ in group], answers, rng)
        (folder / f"quiz-{number:03d}.txt").write_text(text, encoding="utf-8")
        for question, _, file in group:
            faces[(question, file)].add("quiz")
    return [
        DocumentGold(
            question,
            (file,) if "near-duplicate" in kinds or file not in also else (file, also[file]),
            tuple(sorted(kinds)),
        )
        for (question, file), kinds in faces.items()
    ]


def write_gold(gold: list[DocumentGold], path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        for item in gold:
            out.write(
                json.dumps({"question": item.question, "files": list(item.files), "faces": list(item.faces)}) + "\n"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xquad", type=Path)
    parser.add_argument("--covid", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--split", choices=(DEV, TEST), default=DEV)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    paths = {name: path for name, path in (("xquad", args.xquad), ("covid-qa", args.covid)) if path}
    if not paths:
        parser.error("give --xquad and/or --covid")
    gold = build(paths, args.out / "corpus", args.split, args.seed)
    write_gold(gold, args.out / "gold.jsonl")
    files = list((args.out / "corpus").glob("*.txt"))
    print(
        f"{len(files)} files, {len(gold)} questions ({sum('quiz' in g.faces for g in gold)} restated on a quiz page, "
        f"{sum('near-duplicate' in g.faces for g in gold)} with a near-duplicate) in {args.out}"
    )


if __name__ == "__main__":
    main()
