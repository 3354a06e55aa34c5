"""What a loader returns, and the caps every loader applies (shared by ingest/loaders.py and ingest/formats/)."""

from __future__ import annotations

import bisect
import io
import math
import os
import re
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from assistant.errors import IngestError

# Joins the parts of a section path: 'deck.pptx > Slide 3: Budget', 'Sales > row 4'.
SECTION_SEPARATOR = " > "


@dataclass(frozen=True)
class LoadedDocument:
    """The text of one file as indexed; chunk offsets point into ``text``.

    ``page_starts`` are the offsets where pages (PDF pages, slides) begin; ``sections`` are (offset, heading
    path) pairs where a section begins (a chapter, a sheet row, a slide): a chunk never crosses either, so
    its page and section hold for all of it.
    """

    source: str
    text: str
    page_starts: tuple[int, ...] = field(default=())
    sections: tuple[tuple[int, str], ...] = field(default=())
    notes: tuple[str, ...] = field(default=())  # what the reader should know: pages skipped, and why

    def page_at(self, offset: int) -> int | None:
        """1-based page holding ``offset``, or None for formats without pages."""
        if not self.page_starts:
            return None
        return bisect.bisect_right(self.page_starts, offset)

    def section_at(self, offset: int) -> str:
        """The heading path of the section holding ``offset``; '' before the first one or without any."""
        index = bisect.bisect_right(self._section_starts, offset) - 1
        return self.sections[index][1] if index >= 0 else ""

    @cached_property
    def _section_starts(self) -> list[int]:
        # Kept once: the chunker asks for the section of every sentence, and a sheet has a section per row.
        return [start for start, _ in self.sections]


# Bytes of XML markup an Office/EPUB zip may hold per character of the text cap (they write several per character).
XML_BYTES_PER_TEXT_CHAR = 10


@dataclass(frozen=True)
class Limits:
    """The caps that keep one file's memory bounded (the settings max_file_mb and max_text_chars)."""

    max_file_mb: int = 100
    max_text_chars: int = 20_000_000

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * 2**20

    @property
    def max_unpacked_bytes(self) -> int:
        """Most bytes a zipped document may unpack to: its images (no bigger than the file) plus the XML of
        the most text allowed."""
        return self.max_file_bytes + XML_BYTES_PER_TEXT_CHAR * self.max_text_chars

    def check_size(self, path: Path, size: int) -> None:
        """Refuse a file of ``size`` bytes over the file-size cap."""
        if size > self.max_file_bytes:
            raise IngestError(
                f"{path.name}: {megabytes(size)} MB is larger than the {self.max_file_mb} MB limit (QA_MAX_FILE_MB); "
                "split the file or raise the limit"
            )

    def check_text(self, path: Path, chars: int) -> None:
        """Refuse a document whose extracted text has ``chars`` characters, over the text cap."""
        if chars > self.max_text_chars:
            raise IngestError(
                f"{path.name}: its text is longer than the {self.max_text_chars:,} character limit "
                "(QA_MAX_TEXT_CHARS); "
                "split the document or raise the limit"
            )


DEFAULT_LIMITS = Limits()


def megabytes(size: int) -> int:
    # Rounded up, so a file just over the limit never reads as "100 MB is larger than the 100 MB limit".
    return math.ceil(size / 2**20)


def read_limited(path: Path, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The bytes of ``path``; a file over the size cap is refused before any of it is read."""
    with path.open("rb") as file:
        size = os.fstat(file.fileno()).st_size
        limits.check_size(path, size)
        return file.read(size)  # no more than was checked, should the file grow meanwhile


def check_unpacked_size(path: Path, data: bytes, limits: Limits, resave: str) -> None:
    """Refuse a zip bomb by the sizes its directory declares, before anything is inflated. The declared
    sizes are a real bound: Python's zipfile never inflates a member past its declared size. ``resave``
    names the program to re-save the file from ('Word', 'PowerPoint', ...)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        unpacked = sum(member.file_size for member in archive.infolist())
    if unpacked > limits.max_unpacked_bytes:
        raise IngestError(
            f"{path.name}: unpacks to {megabytes(unpacked)} MB, more than the "
            f"{megabytes(limits.max_unpacked_bytes)} MB "
            "that QA_MAX_FILE_MB and QA_MAX_TEXT_CHARS allow, so it may be a zip bomb; re-save it from "
            f"{resave} or raise "
            "the limits"
        )


class SectionedText:
    """Builds a document's text block by block, noting where each section (and page) begins."""

    def __init__(self, path: Path, limits: Limits) -> None:
        self._path = path
        self._limits = limits
        self._parts: list[str] = []
        self._length = 0
        self.sections: list[tuple[int, str]] = []
        self.page_starts: list[int] = []

    def _position(self) -> int:
        return self._length + (2 if self._parts else 0)

    def page(self) -> None:
        """The next block starts a new page (a slide)."""
        self.page_starts.append(self._position())

    def section(self, *path: str) -> None:
        """The next block starts a section with this heading path (empty parts left out)."""
        self.sections.append((self._position(), SECTION_SEPARATOR.join(part for part in path if part)))

    def add(self, block: str) -> None:
        """Append a block (blocks are separated by a blank line); blank blocks are dropped."""
        block = block.strip()
        if not block:
            return
        if self._parts:
            self._length += 2
        self._parts.append(block)
        self._length += len(block)
        self._limits.check_text(self._path, self._length)

    def document(self) -> LoadedDocument:
        text = "\n\n".join(self._parts)
        # A section or page announced but given no block would start past the text; drop those.
        sections = tuple({start: name for start, name in self.sections if start < len(text)}.items())
        pages = tuple(start for start in self.page_starts if start <= len(text))
        return LoadedDocument(str(self._path), text, pages, sections)


_ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


def heading_sections(text: str, headings: list[tuple[int, str]]) -> tuple[tuple[int, str], ...]:
    """Sections of a text from its headings, (level, heading) in reading order: each heading is found as a
    whole line after the previous one, and its path holds the open headings above it ('Title > Part >
    Sub-part'). A heading not found in the text is left out."""
    sections: list[tuple[int, str]] = []
    open_headings: list[tuple[int, str]] = []
    position = 0
    for level, raw in headings:
        heading = " ".join(raw.split())
        match = re.search(rf"(?m)^[ \t]*{re.escape(heading)}[ \t]*$", text[position:]) if heading else None
        if match is None:
            continue
        position += match.start()
        while open_headings and open_headings[-1][0] >= level:
            open_headings.pop()
        open_headings.append((level, heading))
        sections.append((position, SECTION_SEPARATOR.join(name for _, name in open_headings)))
        position += len(match.group())
    return tuple(sections)


def markdown_headings(text: str) -> list[tuple[int, int, str]]:
    """(offset, level, heading) of the ATX headings ('## Prices') of Markdown text, outside code fences."""
    found = []
    fenced = False
    offset = 0
    for line in text.splitlines(keepends=True):
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and (match := _ATX_HEADING.match(line.rstrip("\r\n"))):
            found.append((offset, len(match.group(1)), " ".join(match.group(2).split())))
        offset += len(line)
    return found


def markdown_sections(text: str) -> tuple[tuple[int, str], ...]:
    """Sections of Markdown text by its headings, the path holding the open headings above each."""
    sections: list[tuple[int, str]] = []
    open_headings: list[tuple[int, str]] = []
    for offset, level, heading in markdown_headings(text):
        while open_headings and open_headings[-1][0] >= level:
            open_headings.pop()
        open_headings.append((level, heading))
        sections.append((offset, SECTION_SEPARATOR.join(name for _, name in open_headings)))
    return tuple(sections)
