"""False-premise variants: a question's name or number swapped for one its article never mentions."""

from __future__ import annotations

import random
import re
from typing import Any

from eval.names import (
    Term,
    content_words,
    is_modifier,
    is_year,
    name_class,
    name_terms,
    numbers_as_terms,
    place_mentions,
    replace,
)
from eval.numbers import numbers_in
from eval.questions import Asked, Library, Made, provenance

FALSE_PREMISE = "false-premise"
# A replacement is refused when an article holding it also holds this share of the question's distinctive words.
ANSWERABLE_ELSEWHERE = 0.5
MAX_TRIES = 40
ANSWER_TYPES = {"who": "agent", "whom": "agent", "whose": "agent", "where": "place"}


class Swapper:
    """Finds, for a question, a name or number from another article that its own article never mentions.

    Replacements have the same shape as the term: numbers the same count of digits (a year for a year),
    names the same class (acronym, demonym or other), word count and, where the data says so, the same
    answer type (a 'who' answer for a 'who' answer, a 'where' answer for a 'where' answer).
    """

    def __init__(self, library: Library, seed: int) -> None:
        self.library = library
        self.seed = seed
        # Words the articles also write in lower case ('constitutional') are capitalised words, not names.
        self.common = {
            name: {word for text in (a.text for a in articles) for word in re.findall(r"(?<![.?!]\s)\b[a-z]+\b", text)}
            for name, articles in library.datasets.items()
        }
        self._first_names: dict[str, set[str]] = {}
        self.types = {name: self._types(name) for name in library.datasets}
        self.pool: dict[str, dict[tuple[Any, ...], list[tuple[str, int]]]] = {name: {} for name in library.datasets}
        shapes: dict[str, dict[tuple[Any, ...], dict[str, int]]] = {name: {} for name in library.datasets}
        for asked in library.asked():
            short = [answer for answer in asked.question.answers if len(answer.split()) <= 4]
            for text in [asked.text, *short]:
                for term in [*self.names(asked.dataset, text), *numbers_as_terms(text)]:
                    shape = self.shape(asked.dataset, term)
                    shapes[asked.dataset].setdefault(shape, {}).setdefault(term.text, asked.article)
        for name, by_shape in shapes.items():
            self.pool[name] = {shape: sorted(terms.items()) for shape, terms in by_shape.items()}

    def names(self, dataset: str, text: str) -> list[Term]:
        """The names of ``text`` that can be swapped (see ``_swappable``), leaving out capitalised common words."""
        return [
            term
            for term in name_terms(text)
            if _swappable(text, term) and (" " in term.text or term.text.lower() not in self.common[dataset])
        ]

    def _types(self, dataset: str) -> dict[str, str]:
        """'agent' or 'place' for the names the data types: answers to 'who'/'where' questions, names mostly
        written after 'in'/'at'/'from'/'near'/'to', and names whose first word starts an agent's name."""
        types: dict[str, str] = {}
        for asked in (a for a in self.library.asked() if a.dataset == dataset):
            kind = ANSWER_TYPES.get(asked.text.split()[0].lower()) if asked.text else None
            for answer in asked.question.answers:
                names = name_terms(answer)
                if kind and len(names) == 1 and len(names[0].text) >= 0.6 * len(answer.strip()):
                    types.setdefault(names[0].text, kind)
        for article in self.library.datasets[dataset]:
            seen, placed = place_mentions(article.text)
            for name, count in placed.items():
                if count >= 2 and count >= 0.3 * seen[name]:
                    types.setdefault(name, "place")
        first_names = {
            name.split()[0] for name, kind in types.items() if kind == "agent" and 2 <= len(name.split()) <= 3
        }
        self._first_names[dataset] = first_names
        return types

    def _type(self, dataset: str, text: str) -> str | None:
        words = text.split()
        if text in self.types[dataset]:
            return self.types[dataset][text]
        if 2 <= len(words) <= 3 and words[0] in self._first_names[dataset]:
            return "agent"
        return None

    def shape(self, dataset: str, term: Term) -> tuple[Any, ...]:
        """What a replacement must look like (see the class docstring)."""
        if term.kind == "number":
            return ("number", len(re.sub(r"\D", "", term.text)), is_year(term.text), "." in term.text)
        return (name_class(term.text), self._type(dataset, term.text), min(len(term.text.split()), 3))

    def variant(self, asked: Asked) -> Made | None:
        """A false-premise variant of ``asked``, or None when no term can be swapped safely."""
        rng = random.Random(f"{self.seed}/{asked.dataset}/{asked.question.id}")
        names = sorted(self.names(asked.dataset, asked.text), key=lambda term: -len(term.text.split()))
        for term in [*names, *numbers_as_terms(asked.text)]:
            remaining = content_words(replace(asked.text, term, " "))
            distinctive = self.library.distinctive(asked.dataset, asked.article, remaining)
            if not distinctive:
                continue  # nothing but the term ties the question to its article: a swap would change its topic
            shape = self.shape(asked.dataset, term)
            choices = [pair for pair in self.pool[asked.dataset].get(shape, []) if pair[1] != asked.article]
            for new, article in rng.sample(choices, min(len(choices), MAX_TRIES)):
                if self._safe(asked, term, new, distinctive):
                    item = {
                        "id": f"{asked.dataset}-{FALSE_PREMISE}-{asked.question.id}",
                        "question": replace(asked.text, term, new),
                        "answers": [],
                        "answerable": False,
                        "sources": [],
                        "tags": [FALSE_PREMISE, "unanswerable", asked.dataset],
                    }
                    origin = provenance(
                        asked,
                        FALSE_PREMISE,
                        swapped=term.text,
                        replacement=new,
                        replacement_from=self.library.datasets[asked.dataset][article].title,
                        about=asked.source,
                    )
                    return Made(FALSE_PREMISE, item, origin)
        return None

    def _safe(self, asked: Asked, term: Term, new: str, distinctive: set[str]) -> bool:
        """The new term is absent from the question's article, and no article holding it also holds most of
        what the rest of the question asks about (else the corpus might answer the variant)."""
        library = self.library
        old, folded = term.text.casefold(), new.casefold()
        if folded in old or old in folded or folded in asked.text.casefold():
            return False
        if folded in library.folded[asked.dataset][asked.article]:
            return False
        if term.kind == "number" and set(numbers_in(new)) & library.numbers[asked.dataset][asked.article]:
            return False
        for dataset, index in library.articles_holding(new):
            stems = library.stems[dataset][index]
            if sum(stem in stems for stem in distinctive) >= ANSWERABLE_ELSEWHERE * len(distinctive):
                return False
        return True


def _swappable(question: str, term: Term) -> bool:
    """Not an abbreviation in brackets ('Hydroxychloroquine (HCQ)'), not before a plural possessive ("the
    Panthers' coach"), and not a name used as an adjective ('the Rankine cycle'), except demonyms ('which
    French king' -> 'which Italian king' still makes sense)."""
    rest = question[term.end :]
    if question[: term.start].endswith("(") and rest.startswith(")"):
        return False
    if rest.startswith(("'", "’")) and not rest.startswith(("'s", "’s")):
        return False
    return name_class(term.text) == "demonym" or not is_modifier(question, term)
