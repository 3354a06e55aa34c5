"""An answer writer with no language model: it quotes the passage sentences that best answer."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from assistant.answerers.base import REFUSAL, Answerer
from assistant.embedder import Embedder
from assistant.text import content_terms, overlap, sentence_spans
from assistant.types import Passage

MAX_SENTENCES = 3
MAX_SENTENCE_CHARS = 400
# A sentence this much weaker than the best one is noise, not part of the answer.
SCORE_MARGIN = 0.12
LEXICAL_WEIGHT = 0.25
# A sentence that names the question's subject in its first words is usually about it.
LEAD_WEIGHT = 0.1
LEAD_WORDS = 6
# Small nudge towards sentences of passages that retrieval ranked higher.
RANK_WEIGHT = 0.05


@dataclass(frozen=True)
class _Candidate:
    passage_number: int
    position: int
    text: str
    score: float
    overlap: float


class ExtractiveAnswerer(Answerer):
    """Picks up to three sentences by embedding similarity plus word overlap with the question."""

    name = "extractive"

    def __init__(self, embedder: Embedder, min_relevance: float = 0.35) -> None:
        self._embedder = embedder
        self._min_relevance = min_relevance

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str]:
        """Yield the chosen sentences one by one, each followed by its marker, or the refusal."""
        chosen = self.choose(question, passages)
        if not chosen:
            yield REFUSAL
            return
        for index, candidate in enumerate(chosen):
            yield ("" if index == 0 else " ") + f"{candidate.text} [{candidate.passage_number}]"

    def choose(self, question: str, passages: Sequence[Passage]) -> list[_Candidate]:
        """The sentences that answer, in reading order; empty when nothing is relevant enough."""
        question_terms = content_terms(question)
        sentences = [
            (number, position, passage.text[start - passage.start : end - passage.start])
            for number, passage in enumerate(passages, start=1)
            for position, (start, end) in enumerate(sentence_spans(passage.text, passage.start))
        ]
        sentences = [item for item in sentences if 20 <= len(item[2]) <= MAX_SENTENCE_CHARS and "?" not in item[2][-2:]]
        if not sentences or not question_terms:
            return []
        vectors = self._embedder.embed_batch([question] + [text for _, _, text in sentences])
        query, rest = vectors[0], vectors[1:]
        candidates = []
        for (number, position, text), vector in zip(sentences, rest):
            similarity = sum(a * b for a, b in zip(query, vector))
            shared = overlap(question_terms, content_terms(text))
            prior = RANK_WEIGHT * (len(passages) - number) / len(passages)
            lead = LEAD_WEIGHT * overlap(question_terms, content_terms(" ".join(text.split()[:LEAD_WORDS])))
            score = similarity + LEXICAL_WEIGHT * shared + lead + prior
            candidates.append(_Candidate(number, position, text, score, shared))
        best = max(candidates, key=lambda candidate: candidate.score)
        if best.score < self._min_relevance or best.overlap == 0:
            return []
        ranked = sorted(candidates, key=lambda candidate: -candidate.score)
        picked = [c for c in ranked if c.score >= best.score - SCORE_MARGIN and c.overlap > 0][:MAX_SENTENCES]
        unique: dict[str, _Candidate] = {}
        for candidate in picked:
            unique.setdefault(candidate.text, candidate)
        return sorted(unique.values(), key=lambda candidate: (candidate.passage_number, candidate.position))
