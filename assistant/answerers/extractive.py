"""An answer writer with no language model: it quotes the passage sentences that best answer."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from assistant.answerers.base import REFUSAL, Answerer
from assistant.answerers.evidence import ScoredSentence, best_relevance, is_answerable, score_sentences
from assistant.embedder import Embedder
from assistant.types import Passage

MAX_SENTENCES = 3
# A sentence this much weaker than the best one is noise, not part of the answer.
SCORE_MARGIN = 0.12
STATEMENT_ENDS = set(".!\"'”’)")


class ExtractiveAnswerer(Answerer):
    """Quotes up to three sentences, each followed by the marker of its passage."""

    name = "extractive"

    def __init__(self, embedder: Embedder, min_relevance: float = 0.35, min_coverage: float = 0.5) -> None:
        self._embedder = embedder
        self._min_relevance = min_relevance
        self._min_coverage = min_coverage

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str]:
        """Yield the chosen sentences one by one, or the refusal."""
        chosen = self.choose(question, passages)
        if not chosen:
            yield REFUSAL
            return
        for index, sentence in enumerate(chosen):
            quote = " ".join(sentence.text.split())
            yield ("" if index == 0 else " ") + f"{quote} [{sentence.passage_number}]"

    def choose(self, question: str, passages: Sequence[Passage]) -> list[ScoredSentence]:
        """The sentences that answer, in reading order; empty when nothing is relevant enough."""
        # Only statements answer: not questions, and not titles or headings (no end punctuation).
        scored = [s for s in score_sentences(question, passages, self._embedder) if s.text.rstrip()[-1:] in STATEMENT_ENDS]
        # Nothing reads these sentences before the user does, so the word gate is strict here.
        if not is_answerable(question, passages, scored, self._min_relevance, self._min_coverage, lenient=False):
            return []
        best = best_relevance(scored)
        ranked = sorted((s for s in scored if s.overlap > 0 and s.score >= best - SCORE_MARGIN), key=lambda s: -s.score)
        unique: dict[str, ScoredSentence] = {}
        for sentence in ranked[:MAX_SENTENCES]:
            unique.setdefault(sentence.text, sentence)
        return sorted(unique.values(), key=lambda s: (s.passage_number, s.position))
