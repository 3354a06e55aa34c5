"""Errors the assistant shows to its users.

Every message is written for the person at the keyboard: it names the bad value (file, field,
setting) and says what to do about it.

    AssistantError
    ├── ConfigError      a setting or collection name is invalid
    ├── InputError       a question, file or request cannot be used as given
    ├── IngestError      a document could not be loaded or stored
    ├── StoreError       the vector store or keyword index cannot be reached or is damaged
    └── ModelError       an embedding or language model is missing, broken or unreachable
"""


class AssistantError(Exception):
    """Base class; its message is displayed to the user as is."""


class ConfigError(AssistantError):
    """A setting, or a name chosen by the user, is not valid."""


class InputError(AssistantError):
    """A question or request cannot be used as given."""


class IngestError(AssistantError):
    """A document could not be loaded, chunked or stored."""


class StoreError(AssistantError):
    """The vector store or the keyword index failed."""


class ModelError(AssistantError):
    """A model is missing, damaged or unreachable."""

    def __init__(self, message: str, *, is_retryable: bool = False) -> None:
        super().__init__(message)
        self.is_retryable = is_retryable
