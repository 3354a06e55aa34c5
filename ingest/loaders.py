"""Read a file into plain text plus a page map; one loader per format, chosen by suffix."""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from pathlib import Path

from assistant.errors import IngestError
from ingest.document import (
    DEFAULT_LIMITS,
    Limits,
    LoadedDocument,
    heading_sections,
    markdown_sections,
    read_limited,
)
from ingest.formats.ebook import load_epub
from ingest.formats.mail import load_eml
from ingest.formats.markup import visible
from ingest.formats.office import load_pptx, load_xlsx
from ingest.formats.pdf import load_pdf
from ingest.formats.tables import load_csv
from ingest.formats.word import load_docx

__all__ = ["DEFAULT_LIMITS", "LOADERS", "Limits", "LoadedDocument", "is_supported", "load_document", "read_limited"]


# Longest first: the UTF-32 little-endian mark begins with the UTF-16 one.
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _decode_marked(data: bytes, name: str) -> str | None:
    """Text that starts with a UTF-16/32 byte-order mark, decoded by it; None without one."""
    for mark, encoding in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise IngestError(
                    f"{name}: starts with a {encoding.upper()} byte-order mark but is not valid {encoding.upper()} "
                    f"({exc.reason} at byte {exc.start}); save it as UTF-8 and ingest again"
                ) from exc
    return None


def _decode_damaged_utf8(data: bytes) -> str | None:
    """UTF-8 with a few damaged bytes, decoded with U+FFFD in their place; None when the file is more
    likely another encoding (a legacy file has no valid multi-byte characters, only stray high bytes)."""
    text = data.decode("utf-8-sig", errors="replace")
    damaged = text.count("\ufffd") - data.count("\ufffd".encode())
    valid = sum(ord(ch) > 0x7F for ch in text) - text.count("\ufffd")
    return text if valid > damaged else None


def decode_text(data: bytes, name: str) -> str:
    """Decode bytes of a text file, detecting the encoding; refuse binary data."""
    marked = _decode_marked(data, name)
    if marked is not None:
        return marked
    if b"\x00" in data[:8192]:
        raise IngestError(f"{name}: looks like binary data, not text; convert it to .txt/.md/.pdf/.docx first")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    damaged = _decode_damaged_utf8(data)
    if damaged is not None:
        return damaged
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise IngestError(f"{name}: could not detect the text encoding; save it as UTF-8 and ingest again")
    text = str(best)
    printable = sum(ch.isprintable() or ch in "\n\r\t" for ch in text)
    if text and printable / len(text) < 0.95:
        raise IngestError(f"{name}: looks like binary data, not text; convert it to .txt/.md/.pdf/.docx first")
    return text


def load_text(path: Path, data: bytes, limits: Limits = DEFAULT_LIMITS) -> LoadedDocument:
    """Plain text and Markdown are indexed exactly as stored, so offsets slice the file itself (their size
    is bounded by the file-size cap alone: the text is never longer than the file). Markdown headings
    ('# Title', '## Part') make its sections."""
    text = decode_text(data, path.name)
    sections = markdown_sections(text) if path.suffix.lower() in (".md", ".markdown") else ()
    return LoadedDocument(str(path), text, sections=sections)


def load_html(path: Path, data: bytes, limits: Limits = DEFAULT_LIMITS) -> LoadedDocument:
    """Visible text of an HTML page: no scripts, styles or navigation, one block per paragraph."""
    from bs4 import BeautifulSoup, Tag

    soup = BeautifulSoup(decode_text(data, path.name), "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    strings: list[str] = []
    has_heading = False
    headings: list[tuple[int, str]] = []
    for item in visible(soup):
        if isinstance(item, Tag):
            has_heading = has_heading or item.name in ("h1", "h2")
            if item.name in ("h1", "h2", "h3"):
                headings.append((int(item.name[1]), item.get_text(" ", strip=True)))
        else:
            strings.append(item)
    lines = [re.sub(r"[ \t\r\f\v\xa0]+", " ", line).strip() for line in "".join(strings).split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if title and not has_heading and title not in text:
        text = f"{title}\n\n{text}".strip()
    limits.check_text(path, len(text))
    return LoadedDocument(str(path), text, sections=heading_sections(text, headings))


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
