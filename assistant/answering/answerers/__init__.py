"""Answer writers, chosen by ``settings.answerer`` in one place."""

from __future__ import annotations

from collections.abc import Callable

from assistant.answering.answerers.base import REFUSAL, Answerer
from assistant.answering.answerers.extractive import ExtractiveAnswerer
from assistant.answering.answerers.generative import GenerativeAnswerer
from assistant.models.embedder import Embedder
from assistant.settings import AnswererName, Settings


def _generative(settings: Settings, embedder: Embedder) -> Answerer:
    from assistant.models.llm import build_chat_model

    return GenerativeAnswerer(build_chat_model(settings), settings, name=settings.llm.answerer)


ANSWERERS: dict[AnswererName, Callable[[Settings, Embedder], Answerer]] = {
    "local": _generative,
    "openai": _generative,
    "extractive": lambda settings, embedder: ExtractiveAnswerer(),
}


def build_answerer(settings: Settings, embedder: Embedder) -> Answerer:
    """The answerer named by ``settings.answerer``."""
    return ANSWERERS[settings.llm.answerer](settings, embedder)


__all__ = ["ANSWERERS", "REFUSAL", "Answerer", "build_answerer"]
