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
    vectors = embedder.embed_batch([question] + [item[4] for item in spans])
    query = vectors[0]
    scored = []
    for (number, position, start, end, text), vector in zip(spans, vectors[1:]):
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


def term_coverage(question: str, passages: Sequence[Passage]) -> float:
    """Share of the question's content words found anywhere in the passages.

    A question about "the population of Kyiv" over passages that never mention a population asks
    about something the documents don't hold, however similar the passages look.
    """
    found: set[str] = set()
    for passage in passages:
        found |= content_terms(passage.text)
    return overlap(content_terms(question), found)


def is_answerable(
    question: str,
    passages: Sequence[Passage],
    scored: Sequence[ScoredSentence],
    min_relevance: float,
    min_coverage: float,
) -> bool:
    """More than ``min_coverage`` of the question's words are in the passages, and a sentence is relevant enough."""
    return term_coverage(question, passages) > min_coverage and best_relevance(scored) >= min_relevance
