"""The answerable questions of SQuAD-format datasets with their articles, and the items made from them."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from eval.names import stem
from eval.numbers import numbers_in
from eval.squad import SquadArticle, SquadParagraph, SquadQuestion

# A word is distinctive when at most this share of a dataset's articles use it.
DISTINCTIVE_SHARE = 0.3


@dataclass(frozen=True)
class Asked:
    """One answerable question with its place in the data."""

    dataset: str
    article: int
    paragraph: SquadParagraph
    question: SquadQuestion

    @property
    def source(self) -> str:
        return f"{self.dataset}/{self.paragraph.file}"

    @property
    def text(self) -> str:
        return " ".join(self.question.question.split())


@dataclass
class Made:
    """A generated gold item and where it came from."""

    kind: str
    item: dict[str, Any]
    provenance: dict[str, Any]

    @property
    def origin(self) -> str:
        return str(self.provenance["from"])


class Library:
    """All articles of all datasets, with the look-ups the rules need (folded text, words, frequencies)."""

    def __init__(self, datasets: dict[str, list[SquadArticle]]) -> None:
        self.datasets = datasets
        self.folded = {name: [article.text.casefold() for article in articles] for name, articles in datasets.items()}
        self.stems = {
            name: [{stem(word) for word in re.findall(r"[a-z][a-z\-]{2,}", text)} for text in texts]
            for name, texts in self.folded.items()
        }
        self.numbers = {
            name: [set(numbers_in(article.text)) for article in articles] for name, articles in datasets.items()
        }
        self.frequency = {
            name: Counter(s for stems in all_stems for s in stems) for name, all_stems in self.stems.items()
        }
        self._holding: dict[str, list[tuple[str, int]]] = {}

    def articles_holding(self, term: str) -> list[tuple[str, int]]:
        """(dataset, article index) of every article whose text holds ``term`` (case-insensitive)."""
        key = term.casefold()
        if key not in self._holding:
            self._holding[key] = [
                (name, index) for name, texts in self.folded.items() for index, text in enumerate(texts) if key in text
            ]
        return self._holding[key]

    def distinctive(self, dataset: str, article: int, words: Iterable[str]) -> set[str]:
        """The stems of ``words`` that the article uses and few other articles of ``dataset`` do."""
        limit = max(1.0, DISTINCTIVE_SHARE * len(self.datasets[dataset]))  # a small set: words of one article
        own = self.stems[dataset][article]
        return {stem(word) for word in words if stem(word) in own and self.frequency[dataset][stem(word)] <= limit}

    def asked(self) -> Iterator[Asked]:
        """Every answerable question, dataset by dataset, in file order."""
        for name, articles in self.datasets.items():
            for index, article in enumerate(articles):
                for paragraph in article.paragraphs:
                    for question in paragraph.questions:
                        if not question.impossible:
                            yield Asked(name, index, paragraph, question)


def answerable_item(asked: Asked, kind: str, question: str, **extra: Any) -> dict[str, Any]:
    """A gold item that keeps the answers and source of ``asked`` under a new question text."""
    return {
        "id": f"{asked.dataset}-{kind}-{asked.question.id}",
        "question": question,
        "answers": asked.question.answers,
        "answerable": True,
        "sources": [asked.source],
        "evidence": asked.question.answers[:1],
        **extra,
        "tags": [kind, asked.dataset],
    }


def provenance(asked: Asked, kind: str, **extra: Any) -> dict[str, Any]:
    """Where an item came from (the original question) and, in ``extra``, what was changed."""
    return {"kind": kind, "dataset": asked.dataset, "from": asked.question.id, "original": asked.text, **extra}
