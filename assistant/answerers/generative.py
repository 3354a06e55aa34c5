"""An answer writer backed by a chat model (the packaged local model or any OpenAI-compatible server)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from assistant.answerers.base import REFUSAL, Answerer
from assistant.answerers.evidence import ScoredSentence, is_answerable, score_sentences
from assistant.embedder import Embedder
from assistant.prompts import load_prompt
from assistant.settings import Settings
from assistant.types import Passage

# The model sees the best sentences overall, within a budget (settings.llm_excerpt_chars), grouped
# under their passage number: at 20-75 prompt tokens/s on two cores every 100 characters (~25 tokens)
# cost 0.3-1.2 s before the first token.
# Sentences this far below the best one are left out even when the budget has room.
EXCERPT_MARGIN = 0.25
HISTORY_TURNS = 4
MAX_TURN_CHARS = 300
_MARKER_LIKE = re.compile(r"\[(\d+)\]")


def excerpts(scored: Sequence[ScoredSentence], passage_count: int, budget: int) -> list[str]:
    """Prompt lines '[n] best sentences of passage n', numbered as the passages were shown."""
    best = max((sentence.score for sentence in scored), default=0.0)
    ranked = sorted(scored, key=lambda s: -s.score)
    if ranked:
        # The sentence after the best one often finishes its thought ("... also demands X"): it goes next.
        top = ranked[0]
        follower = next(
            (s for s in ranked if s.passage_number == top.passage_number and s.position == top.position + 1), None
        )
        if follower is not None:
            ranked.remove(follower)
            ranked.insert(1, follower)
    kept: dict[int, list[ScoredSentence]] = {}
    used = 0
    for sentence in ranked:
        text = " ".join(sentence.text.split())
        if sentence.score < best - EXCERPT_MARGIN or used + len(text) > budget:
            continue
        kept.setdefault(sentence.passage_number, []).append(sentence)
        used += len(text) + 1
    lines = []
    for number in range(1, passage_count + 1):
        chosen = sorted(kept.get(number, []), key=lambda s: s.position)
        if chosen:
            # Brackets inside a document must not look like our citation markers.
            text = _MARKER_LIKE.sub(r"(\1)", " ".join(" ".join(s.text.split()) for s in chosen))
            lines.append(f"[{number}] {text}")
    return lines


class GenerativeAnswerer(Answerer):
    """Shows the model the best sentences of each passage and streams what it writes."""

    def __init__(self, chat_model: Any, embedder: Embedder, settings: Settings, name: str) -> None:
        self.name = name
        self._model = chat_model
        self._embedder = embedder
        self._settings = settings

    @property
    def chat_model(self) -> Any:
        """The model that writes the answers (the eval judge reuses it rather than loading a second copy)."""
        return self._model

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str]:
        """Refuse without calling the model when nothing relevant was retrieved; else stream its answer."""
        scored = score_sentences(question, passages, self._embedder)
        settings = self._settings
        if not is_answerable(question, passages, scored, settings.min_relevance, settings.min_term_coverage, lenient=True):
            yield REFUSAL
            return
        lines = excerpts(scored, len(passages), settings.llm_excerpt_chars)
        messages = load_prompt("answer").render(refusal=REFUSAL, passages="\n".join(lines), question=question)
        yield from self._model.stream(messages, max_tokens=self._settings.llm_max_tokens)

    def warm_up(self) -> None:
        """Load the model and process the fixed system prompt once, so later questions reuse it from cache."""
        messages = load_prompt("answer").render(refusal=REFUSAL, passages="[1] Ready.", question="Ready?")
        self._model.complete(messages, max_tokens=1)

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
