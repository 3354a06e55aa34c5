"""The seam every answer writer plugs into."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence

from assistant.answering.evidence import Evidence
from assistant.answering.support import Verifier
from assistant.answering.verification import REFUSAL as REFUSAL  # re-exported: answerers refuse with it


class Answerer(ABC):
    """Writes an answer with ``[n]`` markers from the evidence's passages, numbered 1..k in order.

    An answerer only writes: whether its answer is shown is decided by ``assistant.answering.verification``.
    """

    name: str = "abstract"
    # True when a model reads the passages and can still decline, so the gate before it may be lenient.
    can_decline: bool = False

    @abstractmethod
    def stream(self, evidence: Evidence) -> Iterator[str]:
        """Yield the answer text piece by piece; yield exactly ``REFUSAL`` when the passages don't answer."""

    @property
    def verifier(self) -> Verifier | None:
        """The model that can judge whether a passage asserts a claim (``SupportJudge``); None without one."""
        return None

    def warm_up(self) -> None:  # noqa: B027 - optional hook: most answerers load nothing
        """Load whatever the answerer needs before the first question (nothing by default)."""

    def condense(self, question: str, history: Sequence[dict[str, str]]) -> str:
        """Rewrite a follow-up into a standalone question, without a model: prior user turn + follow-up."""
        return fallback_condense(question, history)


# Words that lean on an earlier turn: a leading "and"/"what about", or a pronoun standing for something said
# before. ("that" and "there" are left out: most questions use them on their own.)
_LEANS_ON_HISTORY = re.compile(
    r"^\s*(and|but|also|so|then|what about|how about)\b"
    r"|\b(it|its|they|them|their|theirs|he|him|his|she|her|hers|these|those|the same|the latter|the former)\b"
    r"|\b(this|that|there)\s*\?\s*$",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W_]+")
# A short question without a verb of its own ("What role for China?", "And in 2024?") is a fragment of a
# conversation; "What does Russia demand?" is not.
SHORT_FOLLOW_UP_WORDS = 4
_WHOLE_QUESTION = re.compile(
    r"^\s*((what|who|whom|whose|which|where|when|why|how(\s+(many|much|long|often|far|old))?)\s+)?"
    r"(is|are|was|were|do|does|did|can|could|will|would|should|has|have|had)\b",
    re.IGNORECASE,
)


def looks_like_follow_up(question: str) -> bool:
    """True when a question probably needs the turns before it to be understood."""
    if _LEANS_ON_HISTORY.search(question):
        return True
    return len(_WORD.findall(question)) <= SHORT_FOLLOW_UP_WORDS and not _WHOLE_QUESTION.match(question)


def fallback_condense(question: str, history: Sequence[dict[str, str]]) -> str:
    """For a follow-up, the previous user question in front of it: crude, but retrieval finds the subject. A
    question that stands on its own is kept as it is, so an earlier, unrelated question cannot sink it."""
    previous = [turn["content"] for turn in history if turn.get("role") == "user" and turn.get("content")]
    if not previous or not looks_like_follow_up(question):
        return question
    return f"{previous[-1].strip()} {question.strip()}"
