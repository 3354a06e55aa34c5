"""An answer writer backed by a chat model (the packaged local model or any OpenAI-compatible server)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from assistant.answerers.base import REFUSAL, Answerer
from assistant.evidence import Evidence
from assistant.prompts import load_prompt
from assistant.settings import Settings

HISTORY_TURNS = 4
MAX_TURN_CHARS = 300


class GenerativeAnswerer(Answerer):
    """Shows the model the evidence sentences of each passage and streams what it writes."""

    def __init__(self, chat_model: Any, settings: Settings, name: str) -> None:
        self.name = name
        self._model = chat_model
        self._settings = settings

    @property
    def chat_model(self) -> Any:
        """The model that writes the answers (the eval judge reuses it rather than loading a second copy)."""
        return self._model

    def stream(self, evidence: Evidence) -> Iterator[str]:
        """Stream the model's answer to the question over the excerpt the evidence chose."""
        # Every 100 characters of excerpt cost ~0.4 s before the first token at ~60 prompt tokens/s.
        lines = evidence.excerpt(self._settings.llm_excerpt_chars)
        if not lines:
            yield REFUSAL
            return
        messages = load_prompt("answer").render(refusal=REFUSAL, passages="\n".join(lines), question=evidence.question)
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
