"""An answer writer backed by a chat model (the packaged local model or any OpenAI-compatible server)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from assistant.answerers.base import REFUSAL, Answerer
from assistant.answerers.evidence import best_relevance, score_sentences
from assistant.embedder import Embedder
from assistant.prompts import load_prompt
from assistant.settings import Settings
from assistant.types import Passage

# Sentences of each passage shown to the model: the best ones, in their original order.
SENTENCES_PER_PASSAGE = 2
MAX_PASSAGE_CHARS = 420
HISTORY_TURNS = 4
MAX_TURN_CHARS = 300
_MARKER_LIKE = re.compile(r"\[(\d+)\]")


class GenerativeAnswerer(Answerer):
    """Shows the model the best sentences of each passage and streams what it writes."""

    def __init__(self, chat_model: Any, embedder: Embedder, settings: Settings, name: str) -> None:
        self.name = name
        self._model = chat_model
        self._embedder = embedder
        self._settings = settings

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str]:
        """Refuse without calling the model when nothing relevant was retrieved; else stream its answer."""
        scored = score_sentences(question, passages, self._embedder)
        if best_relevance(scored) < self._settings.min_relevance:
            yield REFUSAL
            return
        keep: dict[int, list[tuple[int, str]]] = {}
        for sentence in sorted(scored, key=lambda s: -s.score):
            chosen = keep.setdefault(sentence.passage_number, [])
            if len(chosen) < SENTENCES_PER_PASSAGE:
                chosen.append((sentence.position, sentence.text))
        lines = []
        for number in range(1, len(passages) + 1):
            excerpt = " ".join(text for _, text in sorted(keep.get(number, [])))
            # Brackets inside a document must not look like our citation markers.
            excerpt = _MARKER_LIKE.sub(r"(\1)", " ".join(excerpt.split()))[:MAX_PASSAGE_CHARS]
            if excerpt:
                lines.append(f"[{number}] {excerpt}")
        messages = load_prompt("answer").render(refusal=REFUSAL, passages="\n".join(lines), question=question)
        yield from self._model.stream(messages, max_tokens=self._settings.llm_max_tokens)

    def condense(self, question: str, history: Sequence[dict[str, str]]) -> str:
        """Ask the model to make a follow-up standalone; no model call without history."""
        turns = [turn for turn in history if turn.get("content")][-HISTORY_TURNS:]
        if not turns:
            return question
        transcript = "\n".join(
            f"{turn.get('role', 'user')}: {' '.join(turn['content'].split())[:MAX_TURN_CHARS]}" for turn in turns
        )
        messages = load_prompt("condense").render(history=transcript, question=question)
        rewritten = self._model.complete(messages, max_tokens=48, stop=["\n"]).strip().strip('"').strip()
        return rewritten if 3 <= len(rewritten) <= 300 else question
