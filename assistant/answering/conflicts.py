"""Documents that disagree: another document gives the same figure for the same thing with another value.

An answer that cites one annual report's "410 staff" while another report in the collection says "455
staff" of the same depot and year tells the reader only half of what the documents say. The check looks,
for each answer sentence with a count, at the sentences of the other retrieved documents that say nearly
the same thing (by meaning), about the same names and years, and count the same noun with another number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.answering.evidence import Evidence, ScoredSentence, without_references
from assistant.text import STOPWORDS, stem
from assistant.text.facts import facts

# Cosine similarity (MiniLM) above which two sentences state the same thing. On generated pairs of the
# XQuAD and COVID-QA dev halves (python -m eval.conflicts): 0.996 of sentences whose count was changed reach
# it, and 0.057 of the other sentences of their article that count the same noun otherwise (0.955 and 0.014
# at 0.9). The lower bar is kept because a disagreement in other words ('employed 410 staff' against 'had 455
# staff on its payroll') scores about 0.8, and a wrong note quotes and cites the other document in full.
SAME_STATEMENT = 0.8
_TOKEN = re.compile(r"[A-Za-z]+|\d[\d,.]*\d|\d")
_YEAR = re.compile(r"(?:1[5-9]|20)\d\d")
_COUNTED_WORDS = 2
_LIST_NUMBER = re.compile(r"^\s*\d+[.)]\s")
_LOOKAHEAD = 4


@dataclass(frozen=True)
class Conflict:
    """A sentence of another retrieved document that gives ``theirs`` where the answer gives ``ours``."""

    sentence: ScoredSentence
    ours: str
    theirs: str


def counts(text: str) -> dict[str, set[str]]:
    """Each number of the text that counts something (not a year), with the stems of the words it counts:
    {'410': {'staff', 'depot'}} for '410 staff at the depot'."""
    text = _LIST_NUMBER.sub("", text)
    tokens = _TOKEN.findall(text)
    found: dict[str, set[str]] = {}
    for index, token in enumerate(tokens):
        if not token[0].isdigit() or _YEAR.fullmatch(token):
            continue
        following = [
            stem(word.lower())
            for word in tokens[index + 1 : index + 1 + _LOOKAHEAD]
            if not word[0].isdigit() and word.lower() not in STOPWORDS
        ][:_COUNTED_WORDS]
        if following:
            found.setdefault(token.replace(",", ""), set()).update(following)
    return found


def _years(text: str) -> set[str]:
    return set(_YEAR.findall(text))


def disagrees(claim: str, support: str, other: str) -> tuple[str, str] | None:
    """(our number, theirs) when ``other`` counts what ``claim`` counts (as ``support`` states it) with another
    number, naming nothing the claim and its support do not and the same years; None otherwise."""
    ours = counts(claim)
    if not ours:
        return None
    names = set(facts(f"{claim} {support}", spelled=False).names)
    named = set(facts(other, spelled=False).names)
    if _years(other) != _years(f"{claim} {support}") or named - names or (names and not named & names):
        return None
    theirs = counts(other)
    for number, counted in ours.items():
        if number in theirs:
            continue
        different = next((n for n, words in theirs.items() if words & counted), None)
        if different is not None:
            return number, different
    return None


def conflict(
    claim: str, vector: Sequence[float], support: str, cited_sources: set[str], evidence: Evidence
) -> Conflict | None:
    """The sentence of another retrieved document most like ``claim`` that contradicts one of its counts (which
    ``support``, a sentence of a cited passage, states), or None."""
    if not counts(claim):
        return None
    ranked = sorted(
        (
            (sum(a * b for a, b in zip(vector, sentence.vector, strict=True)), sentence)
            for sentence in evidence.sentences
            if evidence.passages[sentence.passage_number - 1].source not in cited_sources
        ),
        key=lambda pair: -pair[0],
    )
    for similarity, sentence in ranked:
        if similarity < SAME_STATEMENT:
            break
        found = disagrees(claim, support, without_references(sentence.text))
        if found is not None:
            return Conflict(sentence, *found)
    return None
