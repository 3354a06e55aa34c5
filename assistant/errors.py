"""Errors the assistant shows to its users.

Every message is written for the person at the keyboard: it names the bad value (file, field,
setting) and says what to do about it.

    AssistantError
    ├── ConfigError      a setting or collection name is invalid
    ├── InputError       a question, file or request cannot be used as given
    ├── IngestError      a document could not be loaded or stored
    ├── StoreError       the vector store or keyword index cannot be reached or is damaged
    │   ├── DiskFullError    the disk holding the data folder has no room for a write
    │   └── DamagedIndexError  the embedded vector index cannot be read (rebuilt by `qa sources verify --repair`)
    └── ModelError       an embedding or language model is missing, broken or unreachable
"""

import errno

# What SQLite, Chroma and the OS say when a disk is full or a file size limit is reached.
_NO_ROOM = ("disk i/o error", "database or disk is full", "no space left", "file too large", "quota exceeded")


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


class DiskFullError(StoreError):
    """The disk holding the data folder is full, or too full for the write about to be made; ``detail`` says
    how full ('2.1 MB free of the 19.5 MB needed', or the refused write's own error)."""

    def __init__(self, message: str, *, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


class DamagedIndexError(StoreError):
    """The embedded vector index cannot be read or written (its files cut short by a full disk or a crash)."""


class ModelError(AssistantError):
    """A model is missing, damaged or unreachable."""

    def __init__(self, message: str, *, is_retryable: bool = False) -> None:
        super().__init__(message)
        self.is_retryable = is_retryable


def no_room(exc: BaseException) -> bool:
    """Whether an error means the disk (or a file-size or quota limit) refused a write."""
    return (
        isinstance(exc, DiskFullError)
        or (isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT))
        or any(words in str(exc).lower() for words in _NO_ROOM)
    )
