"""Cited-answer document assistant: ``from assistant import Assistant``."""

from typing import TYPE_CHECKING

from assistant.errors import AssistantError, ConfigError, IngestError, InputError, ModelError, StoreError
from assistant.settings import Settings, load_settings
from assistant.types import Answer, Citation, Highlight, Passage, Timings

if TYPE_CHECKING:
    from assistant.app.service import Assistant, build_assistant


def __getattr__(name: str) -> object:
    # Lazy on purpose: Python runs this file before any assistant.* module, so an eager import of the service
    # (the orchestration layer) would make every core import load ingest/, Chroma and LangChain, and ingest/,
    # which imports the core, would meet itself half-initialised.
    if name in ("Assistant", "build_assistant"):
        from assistant.app import service

        return getattr(service, name)
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")


__all__ = [
    "Answer",
    "Assistant",
    "AssistantError",
    "Citation",
    "ConfigError",
    "Highlight",
    "IngestError",
    "InputError",
    "ModelError",
    "Passage",
    "Settings",
    "StoreError",
    "Timings",
    "build_assistant",
    "load_settings",
]
