"""Cited-answer document assistant: ``from assistant import Assistant``."""

from typing import TYPE_CHECKING

from assistant.errors import AssistantError, ConfigError, IngestError, InputError, ModelError, StoreError
from assistant.settings import Settings, load_settings
from assistant.types import Answer, Citation, Highlight, Passage, Timings

if TYPE_CHECKING:
    from assistant.service import Assistant


def __getattr__(name: str) -> object:
    # Imported on first use: the service pulls in ingest/, whose modules import assistant/ themselves.
    if name == "Assistant":
        from assistant.service import Assistant

        return Assistant
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
    "load_settings",
]
