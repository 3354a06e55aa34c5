"""Plain text and Markdown, and the decoding of text bytes that other formats (CSV, e-mail, web pages) share."""

from __future__ import annotations

import codecs
from pathlib import Path

from assistant.errors import IngestError
from ingest.document import DEFAULT_LIMITS, Limits, LoadedDocument, markdown_sections

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
