"""The document view of a citation: the text around the cited passage with its sentences highlighted, and
a PDF page drawn as an image with the passage marked.

Document text is data: every piece that reaches markdown goes through ``ui.render.escape``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ui.markdown_view import is_markdown, markdown_document, plain_markdown
from ui.render import escape

# Characters of document shown on each side of the cited passage.
CONTEXT_CHARS = 1500
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
PDF_SCALE = 1.5


@dataclass(frozen=True)
class Span:
    """Absolute character offsets into the document text."""

    start: int
    end: int


def parse_spans(value: str | None) -> list[Span]:
    """'10-50,60-90' (from a link) as spans; malformed pieces are skipped, never trusted."""
    spans = []
    for piece in (value or "").split(","):
        match = re.fullmatch(r"\s*(\d+)-(\d+)\s*", piece)
        if match and int(match.group(1)) < int(match.group(2)):
            spans.append(Span(int(match.group(1)), int(match.group(2))))
    return spans


def context_window(text: str, passage: Span, chars: int = CONTEXT_CHARS) -> Span:
    """The passage with about ``chars`` characters on each side, widened or narrowed to whole paragraphs
    (else whole lines, else whole words), never cutting into the passage."""
    return Span(_window_start(text, passage.start, chars), _window_end(text, passage.end, chars))


def _window_start(text: str, limit: int, chars: int) -> int:
    """A start about ``chars`` before ``limit`` at a paragraph (line, word) start: the closest one to that
    mark, looking back up to half of ``chars`` further, then forward up to ``limit``."""
    target = max(0, limit - chars)
    if target == 0:
        return 0
    reach = max(0, target - chars // 2)
    for separator in ("\n\n", "\n", " "):
        back = text.rfind(separator, reach, target + len(separator))
        if back >= 0:
            return back + len(separator)
        forward = text.find(separator, target, limit)
        if forward >= 0:
            return forward + len(separator)
    return target


def _window_end(text: str, limit: int, chars: int) -> int:
    """An end about ``chars`` after ``limit`` at a paragraph (line, word) end, as ``_window_start``."""
    target = min(len(text), limit + chars)
    if target == len(text):
        return target
    reach = min(len(text), target + chars // 2)
    for separator in ("\n\n", "\n", " "):
        forward = text.find(separator, target, reach)
        if forward >= 0:
            return forward
        back = text.rfind(separator, limit, target)
        if back >= 0:
            return back
    return target


def marked_markdown(text: str, window: Span, passage: Span, highlights: list[Span]) -> str:
    """The window as escaped markdown: highlighted sentences on orange, the rest of the cited passage on
    grey, paragraphs kept."""
    marks = sorted(
        [(span, "orange") for span in highlights if span.start >= window.start and span.end <= window.end]
        or [(passage, "orange")],
        key=lambda mark: mark[0].start,
    )
    # Pieces: (start, end, colour or None) covering the window; grey for the passage outside highlights.
    cuts = {window.start, window.end, max(window.start, passage.start), min(window.end, passage.end)}
    for span, _ in marks:
        cuts |= {span.start, span.end}
    points = sorted(cut for cut in cuts if window.start <= cut <= window.end)
    pieces = []
    for start, end in itertools.pairwise(points):
        colour = next((c for span, c in marks if span.start <= start and end <= span.end), None)
        if colour is None and passage.start <= start and end <= passage.end:
            colour = "gray"
        pieces.append((start, end, colour))
    paragraphs: list[list[str]] = [[]]
    for start, end, colour in pieces:
        for index, part in enumerate(_PARAGRAPH_BREAK.split(text[start:end])):
            if index:
                paragraphs.append([])
            shown = escape(part)
            if shown:
                strong = f"**{shown}**" if colour == "orange" else shown
                paragraphs[-1].append(f":{colour}-background[{strong}]" if colour else shown)
    return "\n\n".join(" ".join(paragraph) for paragraph in paragraphs if paragraph)


def _colours(passage: Span, highlights: list[Span], grey: bool = True) -> Callable[[int], str | None]:
    """Which background a document offset gets: orange in a highlight (the whole passage when there is
    none), grey in the rest of the passage (when ``grey``), none outside."""
    marks = highlights or [passage]

    def colour(offset: int) -> str | None:
        if any(span.start <= offset < span.end for span in marks):
            return "orange"
        return "gray" if grey and passage.start <= offset < passage.end else None

    return colour


def context_markdown(text: str, source: str, window: Span, passage: Span, highlights: list[Span]) -> str:
    """The window of a document as safe markdown with the passage marked: a Markdown file formatted (headings,
    bold, lists, tables; links as their text, images as their alt text, HTML as text), any other as text."""
    inside = [span for span in highlights if span.start >= window.start and span.end <= window.end]
    if is_markdown(source):
        return markdown_document(text, window.start, window.end, _colours(passage, inside))
    return marked_markdown(text, window, passage, inside)


def passage_markdown(source: str, start: int, text: str, highlights: list[Span]) -> str:
    """A passage alone (a source card) as safe markdown, its supporting sentences on orange; a Markdown file's
    passage formatted, its headings as bold lines."""
    end = start + len(text)
    inside = [span for span in highlights if start <= span.start and span.end <= end]
    colour = _colours(Span(start, end), inside, grey=False) if inside else _nothing
    if is_markdown(source):
        return markdown_document(text, 0, len(text), colour, heading_shift=None, base=start)
    return plain_markdown(text, colour, base=start)


def _nothing(offset: int) -> str | None:
    return None


@dataclass(frozen=True)
class PageImage:
    """A rendered PDF page with the cited phrases marked, and the band of it that holds the marks."""

    image: Any
    marked: tuple[int, int] | None  # (top, bottom) pixels of the marks, None when no phrase was found

    def close_up(self, margin: int = 160) -> Any:
        """The marked band with ``margin`` pixels above and below (the whole page when nothing is marked)."""
        if self.marked is None:
            return self.image
        top, bottom = self.marked
        return self.image.crop((0, max(0, top - margin), self.image.width, min(self.image.height, bottom + margin)))


def page_image(document_file: Path | bytes, page: int, phrases: list[str]) -> PageImage | None:
    """Page ``page`` (1-based) of a PDF (its path or its bytes) as an image, each phrase found on it marked in
    orange; None when the file or page cannot be read."""
    import pypdfium2 as pdfium
    from PIL import Image, ImageDraw

    try:
        document = pdfium.PdfDocument(str(document_file) if isinstance(document_file, Path) else document_file)
    except (pdfium.PdfiumError, OSError):
        return None
    try:
        if not 1 <= page <= len(document):
            return None
        pdf_page = document[page - 1]
        height = pdf_page.get_height()
        image = pdf_page.render(scale=PDF_SCALE).to_pil().convert("RGBA")
        textpage = pdf_page.get_textpage()
        overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(overlay)
        edges: list[float] = []
        for phrase in phrases:
            located = _locate(textpage, phrase)
            if located is None:
                continue
            index, count = located
            for rect_index in range(textpage.count_rects(index, count)):
                left, bottom, right, top = textpage.get_rect(rect_index)
                box = (left * PDF_SCALE, (height - top) * PDF_SCALE, right * PDF_SCALE, (height - bottom) * PDF_SCALE)
                draw.rectangle(box, fill=(255, 165, 0, 90), outline=(230, 120, 0, 255), width=2)
                edges += [box[1], box[3]]
        marked = (int(min(edges)), int(max(edges))) if edges else None
        return PageImage(Image.alpha_composite(image, overlay).convert("RGB"), marked)
    finally:
        document.close()


def _locate(textpage: Any, phrase: str) -> tuple[int, int] | None:
    """(first char index, char count) of ``phrase`` on the page, comparing letters and digits only, so line
    breaks, hyphenation spaces and quotes the PDF's text layer adds or drops do not matter."""
    wanted = "".join(ch for ch in phrase.casefold() if ch.isalnum())
    if not wanted:
        return None
    count = textpage.count_chars()
    page_text = textpage.get_text_range(0, count)
    if len(page_text) != count:  # the text layer does not map 1:1 to char indexes; do not guess
        return None
    letters = []
    where = []
    for index, ch in enumerate(page_text):
        for folded in ch.casefold():
            if folded.isalnum():
                letters.append(folded)
                where.append(index)
    position = "".join(letters).find(wanted)
    if position < 0:
        return None
    first, last = where[position], where[position + len(wanted) - 1]
    return first, last - first + 1
