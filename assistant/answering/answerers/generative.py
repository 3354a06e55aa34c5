"""An answer writer backed by a chat model (the packaged local model or any OpenAI-compatible server)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from assistant.answering.answerers.base import REFUSAL, Answerer, fallback_condense
from assistant.answering.evidence import Evidence, ScoredSentence, without_references
from assistant.answering.prompts import load_prompt
from assistant.answering.verification import is_refusal
from assistant.settings import Settings
from assistant.text import content_terms, overlap, sentence_spans
from assistant.text.markers import attach_marker, strip_markers

HISTORY_TURNS = 4
MAX_TURN_CHARS = 300


def _missed_item(evidence: Evidence, written: str) -> ScoredSentence | None:
    """The sentence that adds a further item to the best one ("It also demands X") when the answer left it out.

    Small models tend to stop at the first sentence that answers; a list the passage spreads over two
    sentences then loses its second half.
    """
    if is_refusal(written) or not evidence.sentences:
        return None
    best = max(evidence.sentences, key=lambda s: s.score)
    follower = evidence.continuation(best)
    if follower is None:
        return None
    new_terms = content_terms(follower.text) - content_terms(evidence.question)
    return follower if new_terms and overlap(new_terms, content_terms(written)) < 0.5 else None


class GenerativeAnswerer(Answerer):
    """Shows the model the evidence sentences of each passage and streams what it writes."""

    can_decline = True

    def __init__(self, chat_model: Any, settings: Settings, name: str) -> None:
        self.name = name
        self._model = chat_model
        self._settings = settings

    @property
    def chat_model(self) -> Any:
        """The model that writes the answers (the eval judge reuses it rather than loading a second copy)."""
        return self._model

    @property
    def verifier(self) -> Any:
        """The same model, asked yes/no questions about claims (one model in memory, its cache shared)."""
        return self._model

    def stream(self, evidence: Evidence) -> Iterator[str]:
        """Stream the model's answer to the question over the excerpt the evidence chose."""
        # Every 100 characters of excerpt cost ~0.4 s before the first token at ~60 prompt tokens/s.
        lines = evidence.excerpt(self._settings.llm.excerpt_chars)
        if not lines:
            yield REFUSAL
            return
        messages = load_prompt("answer").render(refusal=REFUSAL, passages="\n".join(lines), question=evidence.question)
        written = []
        for piece in self._model.stream(messages, max_tokens=self._settings.llm.max_tokens):
            written.append(piece)
            yield piece
        missed = _missed_item(evidence, "".join(written))
        if missed is not None:
            quote = without_references(" ".join(missed.text.split()))
            yield " " + attach_marker(quote, [missed.passage_number])

    def warm_up(self) -> None:
        """Load the model and process the fixed system prompt once, so later questions reuse it from cache."""
        messages = load_prompt("answer").render(refusal=REFUSAL, passages="[1] Ready.", question="Ready?")
        self._model.complete(messages, max_tokens=1)

    def condense(self, question: str, history: Sequence[dict[str, str]]) -> str:
        """Ask the model to make a follow-up standalone; no model call without history.

        The model sees the user's questions whole and each answer cut to its first sentence without
        markers, so a long or oddly worded previous answer cannot derail the rewrite. When the model
        returns a dependent question unchanged, the previous question is put in front of it.
        """
        turns = [turn for turn in history if turn.get("content")][-HISTORY_TURNS:]
        if not turns:
            return question
        transcript = "\n".join(f"{turn.get('role', 'user')}: {_turn_text(turn)}" for turn in turns)
        messages = load_prompt("condense").render(history=transcript, question=question)
        rewritten: str = self._model.complete(messages, max_tokens=48, stop=["\n"]).strip().strip('"').strip()
        rewritten = rewritten.removeprefix("Rewritten question:").strip()
        if not 3 <= len(rewritten) <= 300:
            rewritten = question
        unresolved = _PRONOUN.search(rewritten) and _PRONOUN.search(question)
        if (_same_words(rewritten, question) or unresolved) and _depends_on_context(question):
            return fallback_condense(question, history)
        return rewritten


def _turn_text(turn: dict[str, str]) -> str:
    text = " ".join(turn["content"].split())
    if turn.get("role") == "assistant":
        text = strip_markers(text)
        spans = sentence_spans(text)
        text = text[: spans[0][1]] if spans else text
    return text[:MAX_TURN_CHARS]


def _same_words(left: str, right: str) -> bool:
    return content_terms(left) == content_terms(right)


_DEPENDENT = re.compile(
    (
        r"\b(?:it|its|they|them|their|he|him|his|she|her|this|that|these|those|there|then|the "
        r"same)\b|^\s*(?:and|what about|how about|why|when|where)\b"
    ),
    re.IGNORECASE,
)


_PRONOUN = re.compile(r"\b(?:it|its|they|them|their|he|him|his|she|her)\b", re.IGNORECASE)


def _depends_on_context(question: str) -> bool:
    """A follow-up that points back ('And what does he propose?') or is too short to stand alone."""
    return bool(_DEPENDENT.search(question)) or len(content_terms(question)) <= 1
