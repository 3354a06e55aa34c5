"""The seam every answer writer plugs into."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence

from assistant.evidence import Evidence
from assistant.support import Verifier
from assistant.verification import REFUSAL as REFUSAL  # re-exported: answerers refuse with it


class Answerer(ABC):
    """Writes an answer with ``[n]`` markers from the evidence's passages, numbered 1..k in order.

    An answerer only writes: whether its answer is shown is decided by ``assistant.verification``.
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


def fallback_condense(question: str, history: Sequence[dict[str, str]]) -> str:
    """The previous user question in front of the follow-up: crude, but retrieval finds the subject."""
    previous = [turn["content"] for turn in history if turn.get("role") == "user" and turn.get("content")]
    if not previous:
        return question
    return f"{previous[-1].strip()} {question.strip()}"
