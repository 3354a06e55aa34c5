"""Read a file into plain text plus a page map; one loader per format, chosen by suffix.

Each format's loader lives in ingest/formats/ (one module per family of formats) and never imports this
module: it only registers them. A new format is a function ``load_x(path, data, limits) -> LoadedDocument``
in ingest/formats/ plus its suffixes in ``LOADERS`` below."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from assistant.errors import IngestError
from ingest.document import DEFAULT_LIMITS, Limits, LoadedDocument, read_limited
from ingest.formats.ebook import load_epub
from ingest.formats.mail import load_eml
from ingest.formats.office import load_pptx, load_xlsx
from ingest.formats.pdf import load_pdf
from ingest.formats.tables import load_csv
from ingest.formats.text import load_text
from ingest.formats.web import load_html
from ingest.formats.word import load_docx

__all__ = ["DEFAULT_LIMITS", "LOADERS", "Limits", "LoadedDocument", "is_supported", "load_document", "read_limited"]


Loader = Callable[[Path, bytes, Limits], LoadedDocument]
# Each loader gets the bytes already read (and hashed) by the indexer, so the stored text and the
# recorded SHA-256 always describe the same version of the file.
LOADERS: dict[str, Loader] = {
    ".txt": load_text,
    ".text": load_text,
    ".md": load_text,
    ".markdown": load_text,
    ".html": load_html,
    ".htm": load_html,
    ".pdf": load_pdf,
    ".docx": load_docx,
    ".pptx": load_pptx,
    ".xlsx": load_xlsx,
    ".xlsm": load_xlsx,
    ".csv": load_csv,
    ".tsv": load_csv,
    ".epub": load_epub,
    ".eml": load_eml,
}


def supported_suffixes() -> list[str]:
    """The file types a loader exists for, without the dot: 'csv', 'docx', ..."""
    return sorted(suffix.lstrip(".") for suffix in LOADERS)


def is_supported(path: Path) -> bool:
    """True when a loader exists for the file's suffix."""
    return path.suffix.lower() in LOADERS


def load_document(path: Path, data: bytes | None = None, limits: Limits = DEFAULT_LIMITS) -> LoadedDocument:
    """Load one file (or its ``data``, already read) with the loader for its suffix; IngestError otherwise."""
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise IngestError(
            f"{path.name}: unsupported file type {path.suffix or '(none)'!r}; supported: {', '.join(sorted(LOADERS))}"
        )
    try:
        data = read_limited(path, limits) if data is None else data
        if not data or data.isspace():
            raise IngestError(f"{path.name}: the file is empty; add text to it or leave it out")
        document = loader(path, data, limits)
    except OSError as exc:
        raise IngestError(f"{path}: cannot be read ({exc.strerror or exc}); check the path and permissions") from exc
    except RecursionError as exc:  # a parser library recursing into a hostile structure
        raise IngestError(f"{path.name}: nested too deeply to read; re-export it or save it as plain text") from exc
    if not document.text.strip():
        raise IngestError(
            f"{path.name}: no text found in it (only pictures, or empty slides, sheets or chapters?); add text "
            "to it or leave it out"
        )
    return document
