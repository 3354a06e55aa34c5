"""Cited-answer document assistant: ``from assistant import Assistant``."""

from assistant.errors import AssistantError, ConfigError, IngestError, InputError, ModelError, StoreError
from assistant.service import Assistant
from assistant.settings import Settings, load_settings
from assistant.types import Answer, Citation, Highlight, Passage, Timings

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
