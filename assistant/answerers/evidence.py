"""Scoring the sentences of retrieved passages against a question.

The extractive answerer quotes the best of them; the generative answerer shows the model only the
best sentences of each passage (short prompts are fast prompts) and refuses without calling the
model when nothing scores high enough.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.embedder import Embedder
from assistant.text import content_terms, overlap, sentence_spans
from assistant.types import Passage

MIN_SENTENCE_CHARS = 20
MAX_SENTENCE_CHARS = 400
LEXICAL_WEIGHT = 0.25
# A sentence that names the question's subject in its first words is usually about it.
LEAD_WEIGHT = 0.1
LEAD_WORDS = 6
# Small nudge towards sentences of passages that retrieval ranked higher.
RANK_WEIGHT = 0.05


@dataclass(frozen=True)
class ScoredSentence:
    """A sentence of passage ``passage_number`` (1-based) with its relevance to the question."""

    passage_number: int
    position: int
    start: int
    end: int
    text: str
    score: float
    overlap: float


def score_sentences(question: str, passages: Sequence[Passage], embedder: Embedder) -> list[ScoredSentence]:
    """Every usable sentence of the passages, scored: embedding similarity plus word-overlap bonuses."""
    question_terms = content_terms(question)
    spans = [
        (number, position, start, end, passage.text[start - passage.start : end - passage.start])
        for number, passage in enumerate(passages, start=1)
        for position, (start, end) in enumerate(sentence_spans(passage.text, passage.start))
    ]
    spans = [item for item in spans if MIN_SENTENCE_CHARS <= len(item[4]) <= MAX_SENTENCE_CHARS]
    if not spans or not question_terms:
        return []
    query = embedder.embed_recent([question])[0]  # retrieval embedded it a moment ago
    vectors = embedder.embed_recent([item[4] for item in spans])
    scored = []
    for (number, position, start, end, text), vector in zip(spans, vectors):
        similarity = sum(a * b for a, b in zip(query, vector))
        shared = overlap(question_terms, content_terms(text))
        lead = LEAD_WEIGHT * overlap(question_terms, content_terms(" ".join(text.split()[:LEAD_WORDS])))
        prior = RANK_WEIGHT * (len(passages) - number) / len(passages)
        scored.append(
            ScoredSentence(number, position, start, end, text, similarity + LEXICAL_WEIGHT * shared + lead + prior, shared)
        )
    return scored


def best_relevance(scored: Sequence[ScoredSentence]) -> float:
    """Score of the best sentence that shares at least one word with the question (0 when none)."""
    return max((sentence.score for sentence in scored if sentence.overlap > 0), default=0.0)


def covers_question(question: str, passages: Sequence[Passage], min_coverage: float, lenient: bool) -> bool:
    """True when more than ``min_coverage`` of the question's content words occur in the passages.

    A question about "the revenue of Northwind" over passages that never mention revenue asks about
    something the documents don't hold, however similar the passages look. When ``lenient`` (a model
    reads the passages next and can still decline), a question of one or two content words ("What
    does Trump propose?") needs only one of them: its verb is often paraphrased.
    """
    terms = content_terms(question)
    if not terms:
        return False
    found: set[str] = set()
    for passage in passages:
        found |= content_terms(passage.text)
    share = overlap(terms, found)
    return share > 0 if lenient and len(terms) <= 2 else share > min_coverage


def is_answerable(
    question: str,
    passages: Sequence[Passage],
    scored: Sequence[ScoredSentence],
    min_relevance: float,
    min_coverage: float,
    lenient: bool,
) -> bool:
    """The passages cover the question's words and some sentence is relevant enough."""
    return covers_question(question, passages, min_coverage, lenient) and best_relevance(scored) >= min_relevance
