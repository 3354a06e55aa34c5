"""`qa eval --judge`: a language model grades faithfulness and correctness of each answer."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answering.prompts import load_prompt
from assistant.models.chat import ChatModel
from assistant.text.markers import strip_markers
from assistant.types import Answer

PASSAGE_CHARS = 600


def parse_verdict(reply: str) -> float | None:
    """1.0 for yes, 0.0 for no, None when the model said neither (counted apart, never guessed)."""
    word = re.match(r"\W*(\w+)", reply.lower())
    if word is None:
        return None
    return {"yes": 1.0, "no": 0.0}.get(word.group(1))


class Judge:
    """Two yes/no questions per answer, with the prompts in prompts/judge_*.txt."""

    def __init__(self, model: ChatModel) -> None:
        self._model = model

    def _ask(self, prompt: str, **values: str) -> float | None:
        messages = load_prompt(prompt).render(**values)
        return parse_verdict(self._model.complete(messages, max_tokens=3, stop=["\n"]))

    def faithfulness(self, answer: Answer) -> float | None:
        """Is everything the answer says in the passages it cites? None for refusals (nothing to check)."""
        if answer.refused:
            return None
        if not answer.citations:
            return 0.0
        passages = "\n".join(f"[{c.n}] {' '.join(c.text.split())[:PASSAGE_CHARS]}" for c in answer.citations)
        return self._ask("judge_faithfulness", passages=passages, answer=strip_markers(answer.answer))

    def correctness(self, question: str, answer: Answer, references: Sequence[str]) -> float | None:
        """Does the answer give a gold answer? Refusals and unanswerable items are scored by refusal accuracy."""
        if answer.refused or not references:
            return None
        return self._ask(
            "judge_correctness",
            question=question,
            references="; ".join(references),
            answer=strip_markers(answer.answer),
        )
