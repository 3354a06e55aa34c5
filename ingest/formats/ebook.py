"""E-books (.epub): chapters in reading order, each a section under the book's title; headings inside a
chapter give the subsections."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from assistant.errors import IngestError
from ingest.document import Limits, LoadedDocument, SectionedText, check_unpacked_size
from ingest.formats.markup import visible

_HEADINGS = ("h1", "h2", "h3", "h4")


def _blocks(html: bytes) -> list[tuple[str | None, str]]:
    """(heading, None) and (None, paragraph) items of one chapter's XHTML, in reading order."""
    from bs4 import BeautifulSoup
    from bs4.element import NavigableString, Tag

    soup = BeautifulSoup(html, "html.parser")
    body = soup.body or soup
    items: list[tuple[str | None, str]] = []
    strings: list[str] = []

    def flush() -> None:
        for raw in re.split(r"\n\s*\n", "".join(strings)):
            block = "\n".join(" ".join(line.split()) for line in raw.split("\n") if line.strip())
            if block:
                items.append((None, block))
        strings.clear()

    for item in visible(body):
        if isinstance(item, Tag):
            if item.name in _HEADINGS:
                flush()
                items.append((" ".join(item.get_text(" ").split()), ""))
        elif isinstance(item, NavigableString) and any(parent.name in _HEADINGS for parent in item.parents):
            continue  # taken whole with its heading
        else:
            strings.append(str(item))
    flush()
    return items


def load_epub(path: Path, data: bytes, limits: Limits) -> LoadedDocument:
    """Each chapter of the spine is a section 'Book title > Chapter heading', its sub-headings below it."""
    import ebooklib
    from ebooklib import epub
    from lxml.etree import XMLSyntaxError

    try:
        check_unpacked_size(path, data, limits, "your e-book editor (Calibre, Sigil)")
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            # Checked before parsing: encrypted chapters would read as damaged ones.
            encrypted = "META-INF/encryption.xml" in archive.namelist()
    except zipfile.BadZipFile as exc:
        raise IngestError(
            f"{path.name}: not a readable .epub file ({exc}); re-export it from your e-book editor"
        ) from exc
    if encrypted:
        raise IngestError(
            f"{path.name}: the e-book is encrypted (DRM); export a DRM-free copy from where you bought it and "
            "ingest that"
        )
    try:
        book = epub.read_epub(io.BytesIO(data), {"ignore_ncx": True})
    except (
        epub.EpubException,
        zipfile.BadZipFile,
        XMLSyntaxError,
        KeyError,
        ValueError,
        AttributeError,
        TypeError,
    ) as exc:
        raise IngestError(
            f"{path.name}: not a readable .epub file ({exc}); re-export it from your e-book editor"
        ) from exc
    titles = book.get_metadata("DC", "title")
    title = " ".join(str(titles[0][0]).split()) if titles else ""
    out = SectionedText(path, limits)
    for number, (item_id, _linear) in enumerate(book.spine, start=1):
        item = book.get_item_with_id(item_id)
        if item is None or item.get_type() != ebooklib.ITEM_DOCUMENT:
            continue
        chapter = ""
        for heading, block in _blocks(item.get_content()):
            if heading is not None and not block:
                if not chapter:
                    chapter = heading
                    out.section(title, chapter)
                else:
                    out.section(title, chapter, heading)
                out.add(heading)
            else:
                if not chapter:
                    chapter = f"Chapter {number}"
                    out.section(title, chapter)
                out.add(block)
    return out.document()
