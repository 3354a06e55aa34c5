"""Split a loaded document into overlapping chunks that keep exact character offsets."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

from assistant.text import sentence_spans
from assistant.types import ChunkRecord as Chunk
from ingest.document import LoadedDocument

# Bump when chunk boundaries change, so that existing collections are re-chunked on the next ingest.
# 3: chunks embedded sentence by sentence (one vector per sentence, not one per chunk).
# 4: chunks end at section boundaries (slides, sheet rows, chapters) and carry their section path; PDFs
#    are read in layout order (columns, running headers dropped, hyphens joined) and OCR'd when scanned.
# 5: table rows (xlsx, csv, docx, pptx) open with the sheet, slide or heading that scopes them; docx tables
#    are read in place as header: value rows and numbered paragraphs keep their numbers.
CHUNKER_VERSION = 5
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")
# About how much text is split into sentences at once (see text_windows).
WINDOW_CHARS = 100_000


def chunk_id_for(source: str, start: int, text: str) -> str:
    """Stable id: the same text at the same place of the same file always gets the same id."""
    digest = hashlib.sha256(f"{source}\x00{start}\x00{text}".encode()).hexdigest()
    return digest[:32]


def _units(text: str, max_len: int, begin: int = 0, stop: int | None = None) -> list[tuple[int, int, bool]]:
    """Sentences (start, end, begins_paragraph) of ``text[begin:stop]``, with over-long ones cut at whitespace."""
    stop = len(text) if stop is None else stop
    units: list[tuple[int, int, bool]] = []
    position = begin
    for paragraph_end, next_start in [(m.start(), m.end()) for m in _PARAGRAPH_BREAK.finditer(text, begin, stop)] + [
        (stop, stop)
    ]:
        first = True
        for start, end in sentence_spans(text[position:paragraph_end], position):
            for piece_start, piece_end in _cut(text, start, end, max_len):
                units.append((piece_start, piece_end, first))
                first = False
        position = next_start
    return units


def _cut(text: str, start: int, end: int, max_len: int) -> list[tuple[int, int]]:
    pieces = []
    while end - start > max_len:
        split = text.rfind(" ", start + max_len // 2, start + max_len)
        cut = split if split > start else start + max_len
        piece_end = cut
        while piece_end > start and text[piece_end - 1].isspace():  # a run of spaces before the cut
            piece_end -= 1
        pieces.append((start, piece_end))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        pieces.append((start, end))
    return pieces


def chunk_document(document: LoadedDocument, size: int = 1000, overlap: int = 200) -> list[Chunk]:
    """The chunks of ``document`` (see iter_chunks)."""
    return list(iter_chunks(document, size, overlap))


def iter_chunks(document: LoadedDocument, size: int = 1000, overlap: int = 200) -> Iterator[Chunk]:
    """Pack whole sentences into chunks of at most ``size`` characters, yielded in order (an ingest of a long
    table holds its offsets, not a million chunk records).

    A chunk never crosses a page break or a section start, so its page number and section path hold for
    all of it. It prefers to end at
    a paragraph break once it is half full; the next chunk repeats up to
    ``overlap`` characters of trailing sentences so that a fact split across the boundary stays findable.
    """
    for begin, stop in text_windows(document):
        yield from _chunks_of(document, _units(document.text, size, begin, stop), size, overlap)


def _place(document: LoadedDocument, offset: int) -> tuple[int | None, str]:
    return document.page_at(offset), document.section_at(offset)


def text_windows(document: LoadedDocument) -> Iterator[tuple[int, int]]:
    """Stretches of the text, about WINDOW_CHARS or more, that can be chunked one at a time with the same result
    as the whole: each ends at a paragraph break where the page or section changes, which no chunk or overlap
    crosses. A long table's sentences are then listed a window at a time, not a million at once."""
    text = document.text
    begin = 0
    for cut in sorted({start for start, _ in document.sections} | set(document.page_starts)):
        if cut - begin < WINDOW_CHARS or cut >= len(text):
            continue
        before = cut  # where the whitespace before the cut begins
        while before > begin and text[before - 1].isspace():
            before -= 1
        newline = text.find("\n", before, cut)
        if newline < 0 or before == begin:
            continue
        paragraph_break = _PARAGRAPH_BREAK.match(text, newline)
        if paragraph_break is None or paragraph_break.end() != cut:
            continue
        if _place(document, before - 1) != _place(document, cut - 1) or _place(document, cut - 1) == _place(
            document, cut
        ):
            continue
        yield begin, cut
        begin = cut
    yield begin, len(text)


def _chunks_of(
    document: LoadedDocument, units: list[tuple[int, int, bool]], size: int, overlap: int
) -> Iterator[Chunk]:
    text = document.text

    def place(offset: int) -> tuple[int | None, str]:
        return _place(document, offset)

    first = 0
    while first < len(units):
        last = first
        while last + 1 < len(units):
            start, end = units[first][0], units[last + 1][1]
            if end - start > size or place(units[last + 1][0]) != place(start):
                break
            if units[last + 1][2] and units[last][1] - units[first][0] >= size // 2 and last > first:
                break
            last += 1
        start, end = units[first][0], units[last][1]
        body = text[start:end]
        yield Chunk(
            chunk_id_for(document.source, start, body),
            document.source,
            start,
            end,
            document.page_at(start),
            body,
            document.section_at(start),
        )
        if last + 1 >= len(units):
            break
        following = last + 1
        while (
            following - 1 > first
            and units[last][1] - units[following - 1][0] <= overlap
            and place(units[following - 1][0]) == place(units[last + 1][0])
        ):
            following -= 1
        first = following
