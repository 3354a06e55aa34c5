"""An answer writer with no language model: it quotes the passage sentences that best answer."""

from __future__ import annotations

from collections.abc import Iterator

from assistant.answering.answerers.base import REFUSAL, Answerer
from assistant.answering.evidence import Evidence, ScoredSentence
from assistant.text.markers import attach_marker

MAX_SENTENCES = 3
# A sentence this much weaker than the best one is noise, not part of the answer.
SCORE_MARGIN = 0.12
STATEMENT_ENDS = set(".!\"'”’)")


class ExtractiveAnswerer(Answerer):
    """Quotes up to three sentences (a whole list when the best one is a step), each with its marker."""

    name = "extractive"

    def stream(self, evidence: Evidence) -> Iterator[str]:
        """Yield the chosen sentences one by one, or the refusal."""
        chosen = self.choose(evidence)
        if not chosen:
            yield REFUSAL
            return
        listing = any(sentence.is_list_item for sentence in chosen)
        for index, sentence in enumerate(chosen):
            quote = " ".join(sentence.text.split())
            separator = "" if index == 0 else ("\n" if listing else " ")
            yield separator + attach_marker(quote, [sentence.passage_number])

    def choose(self, evidence: Evidence) -> list[ScoredSentence]:
        """The sentences that answer, in reading order; empty when none shares a word with the question."""
        # Only statements answer: not questions or quiz options, and not titles or headings (no end punctuation).
        scored = [
            s for s in evidence.sentences if not s.silent and (s.text.rstrip()[-1:] in STATEMENT_ENDS or s.is_list_item)
        ]
        best = max((s.score for s in scored if s.overlap > 0), default=None)
        if best is None:
            return []
        ranked = sorted((s for s in scored if s.overlap > 0 and s.score >= best - SCORE_MARGIN), key=lambda s: -s.score)
        unique: dict[str, ScoredSentence] = {}
        for sentence in ranked[:MAX_SENTENCES]:
            unique.setdefault(sentence.text, sentence)
        top = ranked[0]
        if top.is_list_item:
            # A step of a list: the steps around it, in order, are the answer.
            for step in evidence.list_around(top):
                unique.setdefault(step.text, step)
        return sorted(unique.values(), key=lambda s: (s.passage_number, s.position))
