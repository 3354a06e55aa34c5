"""Read a file into plain text plus a page map; one loader per format, chosen by suffix."""

from __future__ import annotations

import bisect
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import IngestError


@dataclass(frozen=True)
class LoadedDocument:
    """The text of one file as indexed; chunk offsets point into ``text``."""

    source: str
    text: str
    page_starts: tuple[int, ...] = field(default=())

    def page_at(self, offset: int) -> int | None:
        """1-based page holding ``offset``, or None for formats without pages."""
        if not self.page_starts:
            return None
        return bisect.bisect_right(self.page_starts, offset)


def decode_text(data: bytes, name: str) -> str:
    """Decode bytes of a text file, detecting the encoding; refuse binary data."""
    if b"\x00" in data[:8192]:
        raise IngestError(f"{name}: looks like binary data, not text; convert it to .txt/.md/.pdf/.docx first")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise IngestError(f"{name}: could not detect the text encoding; save it as UTF-8 and ingest again")
    text = str(best)
    printable = sum(ch.isprintable() or ch in "\n\r\t" for ch in text)
    if text and printable / len(text) < 0.95:
        raise IngestError(f"{name}: looks like binary data, not text; convert it to .txt/.md/.pdf/.docx first")
    return text


def load_text(path: Path, data: bytes) -> LoadedDocument:
    """Plain text and Markdown are indexed exactly as stored, so offsets slice the file itself."""
    return LoadedDocument(str(path), decode_text(data, path.name))


_BLOCK_TAGS = (
    "address article aside blockquote br dd div dl dt figcaption figure footer form h1 h2 h3 h4 h5 h6 "
    "header hr li main ol p pre section table td th tr ul title"
).split()
_HIDDEN_TAGS = ["script", "style", "noscript", "template", "nav", "svg", "head", "iframe", "button", "form"]


def load_html(path: Path, data: bytes) -> LoadedDocument:
    """Visible text of an HTML page: no scripts, styles or navigation, one block per paragraph."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(decode_text(data, path.name), "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for tag in soup(_HIDDEN_TAGS):
        tag.decompose()
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    lines = [re.sub(r"[ \t\r\f\v\xa0]+", " ", line).strip() for line in soup.get_text().split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    has_heading = bool(soup.find(["h1", "h2"]))
    if title and not has_heading and title not in text:
        text = f"{title}\n\n{text}".strip()
    return LoadedDocument(str(path), text)


def load_pdf(path: Path, data: bytes) -> LoadedDocument:
    """Text of each PDF page, pages separated by a blank line; page numbers are kept."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise IngestError(f"{path.name}: the PDF is encrypted; save an unprotected copy and ingest that")
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise IngestError(f"{path.name}: not a readable PDF ({exc}); re-export or repair the file") from exc
    parts: list[str] = []
    starts: list[int] = []
    position = 0
    for page_text in pages:
        starts.append(position)
        parts.append(page_text)
        position += len(page_text) + 2
    text = "\n\n".join(parts)
    if not text.strip():
        raise IngestError(f"{path.name}: the PDF has no extractable text (scanned images?); run OCR on it first")
    return LoadedDocument(str(path), text, tuple(starts))


def load_docx(path: Path, data: bytes) -> LoadedDocument:
    """Paragraphs and table cells of a Word document, one block each."""
    import zipfile

    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise IngestError(f"{path.name}: not a readable .docx file ({exc}); re-save it from Word or LibreOffice") from exc
    blocks = [paragraph.text.strip() for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            blocks.append(" | ".join(cell.text.strip() for cell in row.cells))
    return LoadedDocument(str(path), "\n\n".join(block for block in blocks if block))


# Each loader gets the bytes already read (and hashed) by the indexer, so the stored text and the
# recorded SHA-256 always describe the same version of the file.
LOADERS: dict[str, Callable[[Path, bytes], LoadedDocument]] = {
    ".txt": load_text,
    ".text": load_text,
    ".md": load_text,
    ".markdown": load_text,
    ".html": load_html,
    ".htm": load_html,
    ".pdf": load_pdf,
    ".docx": load_docx,
}


def is_supported(path: Path) -> bool:
    """True when a loader exists for the file's suffix."""
    return path.suffix.lower() in LOADERS


def load_document(path: Path, data: bytes | None = None) -> LoadedDocument:
    """Load one file (or its ``data``, already read) with the loader for its suffix; IngestError otherwise."""
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise IngestError(
            f"{path.name}: unsupported file type {path.suffix or '(none)'!r}; supported: {', '.join(sorted(LOADERS))}"
        )
    try:
        document = loader(path, path.read_bytes() if data is None else data)
    except OSError as exc:
        raise IngestError(f"{path}: cannot be read ({exc.strerror or exc}); check the path and permissions") from exc
    if not document.text.strip():
        raise IngestError(f"{path.name}: the file is empty; add text to it or leave it out")
    return document
