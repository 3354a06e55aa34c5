"""Answer writers, chosen by ``settings.answerer`` in one place."""

from __future__ import annotations

from collections.abc import Callable

from assistant.answerers.base import REFUSAL, Answerer
from assistant.answerers.extractive import ExtractiveAnswerer
from assistant.answerers.generative import GenerativeAnswerer
from assistant.embedder import Embedder
from assistant.settings import AnswererName, Settings


def _generative(settings: Settings, embedder: Embedder) -> Answerer:
    from assistant.llm import build_chat_model

    return GenerativeAnswerer(build_chat_model(settings), settings, name=settings.answerer)


ANSWERERS: dict[AnswererName, Callable[[Settings, Embedder], Answerer]] = {
    "local": _generative,
    "openai": _generative,
    "extractive": lambda settings, embedder: ExtractiveAnswerer(),
}


def build_answerer(settings: Settings, embedder: Embedder) -> Answerer:
    """The answerer named by ``settings.answerer``."""
    return ANSWERERS[settings.answerer](settings, embedder)


__all__ = ["ANSWERERS", "REFUSAL", "Answerer", "build_answerer"]
