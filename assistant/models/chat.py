"""What every chat model is: the ChatModel ABC the answerers write with, its message type, and the helpers that
every implementation shares (the local llama.cpp runtimes and the OpenAI client in llm.py, the LangChain
adapter in llm_langchain.py)."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterator

from assistant.text import without_control_tokens

Messages = list[dict[str, str]]


class ChatModel(ABC):
    """Writes the assistant's next message for a list of chat messages."""

    @abstractmethod
    def stream(self, messages: Messages, *, max_tokens: int, stop: list[str] | None = None) -> Iterator[str]:
        """Yield the reply piece by piece as it is generated."""

    def complete(self, messages: Messages, *, max_tokens: int, stop: list[str] | None = None) -> str:
        """The whole reply at once."""
        return "".join(self.stream(messages, max_tokens=max_tokens, stop=stop))

    def yes_probability(self, messages: Messages) -> float:
        """How likely the reply to a yes/no question starts with yes (against no), 0-1.

        This base reads the first word of a short reply (1.0 or 0.0); models that expose their token
        probabilities override it with the real figure.
        """
        # The answer's token counts (``last_timings``, where a model keeps them) stay the answer's.
        kept = getattr(self, "last_timings", None)
        try:
            return yes_no_value(self.complete(messages, max_tokens=3))
        finally:
            if kept is not None:
                self.last_timings = kept


def yes_no_value(reply: str) -> float:
    """1.0 for a reply that starts with yes, else 0.0."""
    return 1.0 if reply.strip().strip("*\"'").lower().startswith("yes") else 0.0


def yes_share(log_yes: float, log_no: float) -> float:
    """P(yes) of the two log-probabilities, the rest of the vocabulary left out."""
    top = max(log_yes, log_no)
    yes, no = math.exp(log_yes - top), math.exp(log_no - top)
    return yes / (yes + no)


def inert(messages: Messages) -> Messages:
    """The messages with chat-template control tokens in their text made plain: what a document, a question
    or an earlier turn says can never open a turn of its own (see text.without_control_tokens)."""
    return [{**message, "content": without_control_tokens(message["content"])} for message in messages]
