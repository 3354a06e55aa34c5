"""PDF pages as a reader sees them: the text layer read in layout order, or OCR for a page without one.

pypdfium2 gives each run of text with its box. From those boxes: lines are rebuilt top to bottom; a page
whose text sits in two side-by-side columns is read column by column (text spanning both columns, such as
a title, stays in place); a simple table keeps its header line ('cell | cell') and each row becomes one
line of 'header: value' pairs; lines repeated at the top
or bottom of most pages (running headers, footers) and page numbers there are dropped; words hyphenated
across a line break are joined. A page with no text layer but an image is rendered and read by Tesseract,
and marked '(OCR text)' in its section, so citations say so.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import itertools
import logging
import re
import shutil
import statistics
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import IngestError
from ingest.document import Limits, LoadedDocument, SectionedText

OCR_DPI = 300
OCR_TIMEOUT_S = 180
OCR_MAX_PIXELS = 5000
# A page with an image and fewer characters of text than this is taken for a scan.
SCANNED_MAX_CHARS = 20
# pdfium marks a hyphen it recognised at a line break with one of these.
_SOFT_HYPHENS = ("\x02", "\ufffe", "\u00ad")
_PAGE_NUMBER = re.compile(
    r"^(?:page|p\.|pg\.?)?\s*(?:\d+|[ivxlc]+)(?:\s*(?:of|/)\s*\d+)?$|^[-–]\s*\d+\s*[-–]$", re.IGNORECASE
)
# A line in the top or bottom tenth of a page may be a running header or footer.
_MARGIN = 0.1


@dataclass
class _Segment:
    left: float
    bottom: float
    right: float
    top: float
    text: str

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass
class _Line:
    segments: list[_Segment] = field(default_factory=list)

    @property
    def top(self) -> float:
        return max(segment.top for segment in self.segments)

    @property
    def bottom(self) -> float:
        return min(segment.bottom for segment in self.segments)

    @property
    def height(self) -> float:
        return self.top - self.bottom

    def text(self) -> str:
        """Segments left to right: a wide gap (a table's next cell) becomes ' | '."""
        parts: list[str] = []
        previous: _Segment | None = None
        for segment in sorted(self.segments, key=lambda s: s.left):
            if previous is not None:
                gap = segment.left - previous.right
                height = max(previous.top - previous.bottom, 1.0)
                parts.append(" | " if gap > 1.5 * height else ("" if gap < 0.1 * height else " "))
            parts.append(segment.text)
            previous = segment
        return "".join(parts).strip()


def _segments(textpage: Any) -> list[_Segment]:
    segments = []
    for index in range(textpage.count_rects()):
        left, bottom, right, top = textpage.get_rect(index)
        text = " ".join(textpage.get_text_bounded(left, bottom, right, top).split())
        if text:
            segments.append(_Segment(left, bottom, right, top, text))
    return segments


def _lines(segments: list[_Segment]) -> list[_Line]:
    """Segments grouped into lines (vertically overlapping by half), top to bottom."""
    lines: list[_Line] = []
    for segment in sorted(segments, key=lambda s: -s.top):
        for line in lines[-3:]:
            overlap = min(line.top, segment.top) - max(line.bottom, segment.bottom)
            if overlap > 0.5 * min(line.height, segment.top - segment.bottom):
                line.segments.append(segment)
                break
        else:
            lines.append(_Line([segment]))
    return lines


def _columns(segments: list[_Segment], width: float) -> tuple[float, float, float] | None:
    """(x of the gutter, top, bottom) of the two-column part of a page, or None. Only wide runs of text (a
    quarter of the page or more) count: column lines are wide, a table's cells and a heading's words are
    not, and few wide runs cross the gutter (a full-width abstract or title may)."""
    wide = [s for s in segments if s.right - s.left >= 0.25 * width]
    if len(wide) < 6:
        return None
    crossing, _, gutter = min(
        (sum(s.left < x < s.right for s in wide), abs(x - width / 2), x)
        for x in (width * (0.35 + 0.01 * step) for step in range(31))
    )
    columns = [s for s in wide if s.right <= gutter or s.left >= gutter]
    left = sum(s.right <= gutter for s in columns)
    if left < 3 or len(columns) - left < 3 or crossing > 0.25 * len(wide):
        return None
    top, bottom = max(s.top for s in columns), min(s.bottom for s in columns)
    # The columns' short lines just above or below (a column's heading, a paragraph's last words) are theirs.
    reach = 2.5 * statistics.median(s.top - s.bottom for s in columns)
    grown = True
    while grown:
        grown = False
        for s in segments:
            if (
                not (s.left < gutter < s.right)
                and (bottom - reach <= s.middle <= top + reach)
                and not (bottom <= s.middle <= top)
            ):
                top, bottom, grown = max(top, s.top), min(bottom, s.bottom), True
    return gutter, top, bottom


def _reading_order(segments: list[_Segment], width: float) -> list[_Line]:
    """Lines in reading order. On a two-column page: what is above the columns, then each band between
    full-width lines inside them read left column first, then right, then what is below (a table, notes)."""
    zone = _columns(segments, width)
    if zone is None:
        return _lines(segments)
    gutter, top, bottom = zone
    above = [s for s in segments if s.middle > top]
    below = [s for s in segments if s.middle < bottom]
    inside = [s for s in segments if bottom <= s.middle <= top]
    spanning = [s for s in inside if s.left < gutter < s.right]
    groups: dict[tuple[int, int], list[_Segment]] = {}
    for segment in inside:
        band = sum(other.middle > segment.middle for other in spanning)
        key = (band, 2) if segment.left < gutter < segment.right else (band, 0 if segment.right <= gutter else 1)
        groups.setdefault(key, []).append(segment)
    return _lines(above) + [line for key in sorted(groups) for line in _lines(groups[key])] + _lines(below)


def _normalised(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(text.lower().split()))


def _strip_running(pages: list[tuple[list[_Line], float]]) -> list[list[_Line]]:
    """Drop page numbers and lines repeated in the top or bottom margin of at least half of the pages
    (two pages at least). Only a line set apart from the body counts (by more than twice its height):
    a body that starts near the top edge keeps its first line even when two pages start alike."""

    def apart(line: _Line, lines: list[_Line], height: float) -> bool:
        if not (line.bottom > (1 - _MARGIN) * height or line.top < _MARGIN * height):
            return False
        nearest = min((abs(line.top - other.top) for other in lines if other is not line), default=0.0)
        return nearest > 2 * max(line.height, 1.0)

    repeated = Counter(
        text
        for lines, height in pages
        for text in {_normalised(line.text()) for line in lines if apart(line, lines, height)}
    )
    threshold = max(2, (len(pages) + 1) // 2)
    kept = []
    for lines, height in pages:
        kept.append(
            [
                line
                for line in lines
                if not apart(line, lines, height)
                or not (_PAGE_NUMBER.match(line.text()) or repeated[_normalised(line.text())] >= threshold)
            ]
        )
    return kept


def _joined(lines: list[str], gaps: list[bool]) -> str:
    """Lines of a page as text: a blank line where ``gaps`` marks a paragraph break, words hyphenated across
    a line break joined (a soft hyphen pdfium found, or 'word-' before a lower-case word)."""
    out = ""
    for index, line in enumerate(lines):
        if index:
            previous = out
            if previous.endswith(_SOFT_HYPHENS) or (
                re.search(r"[a-z]-$", previous) and re.match(r"[a-z]", line) and not gaps[index]
            ):
                out = previous[:-1]
            else:
                out += "\n\n" if gaps[index] else "\n"
        out += line
    return out.replace("\x02", "-").replace("\ufffe", "-")


def _tables_as_rows(texts: list[str]) -> list[str]:
    """Lines of a simple table (two or more consecutive lines with the same number of cells, the first
    taken as the header) keep the header line, and each row below it becomes one line of 'header: value'
    pairs: a row cited on its own still says what its numbers are."""
    out = list(texts)
    index = 0
    while index < len(texts):
        width = texts[index].count(" | ") + 1
        end = index + 1
        while width > 1 and end < len(texts) and texts[end].count(" | ") + 1 == width:
            end += 1
        if end - index >= 2:
            header = texts[index].split(" | ")
            for row in range(index + 1, end):
                pairs = "; ".join(
                    f"{name}: {value}" for name, value in zip(header, texts[row].split(" | "), strict=False) if value
                )
                out[row] = pairs if pairs.endswith((".", "!", "?")) else pairs + "."
        index = end
    return out


def _page_text(lines: list[_Line]) -> str:
    heights = [line.height for line in lines if line.height > 0]
    typical = statistics.median(heights) if heights else 10.0
    steps = [
        previous.top - line.top
        for previous, line in itertools.pairwise(lines)
        if previous.top - line.top > 0.5 * typical
    ]
    pitch = statistics.median(steps) if steps else 1.5 * typical  # the usual distance from one line to the next
    texts = _tables_as_rows([line.text() for line in lines])
    gaps = [False] + [
        # A paragraph break: more space than between the lines of a paragraph, or a jump up (the next column).
        (previous.top - line.top > 1.4 * pitch) or (line.top > previous.top + typical)
        for previous, line in itertools.pairwise(lines)
    ]
    return _joined(texts, gaps)


def _ocr(page: Any, number: int, path: Path) -> tuple[str, str]:
    """(text, '') of a page read by Tesseract, or ('', why it was skipped)."""
    tesseract = shutil.which("tesseract")
    if tesseract is None:
        return "", (
            f"page {number} has no text layer and Tesseract is not installed, so the page was skipped; "
            "install it (Debian/Ubuntu: apt-get install tesseract-ocr) and ingest again"
        )
    # 300 dpi, but no side over OCR_MAX_PIXELS: a poster-sized page would otherwise take gigabytes.
    image = page.render(scale=min(OCR_DPI / 72, OCR_MAX_PIXELS / max(page.get_size()))).to_pil()
    png = io.BytesIO()
    image.save(png, "PNG")
    try:
        done = subprocess.run(
            [tesseract, "stdin", "stdout"],
            input=png.getvalue(),
            capture_output=True,
            timeout=OCR_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return (
            "",
            (
                f"OCR of page {number} took over {OCR_TIMEOUT_S} s and was skipped; split the PDF or OCR it with "
                "another tool"
            ),
        )
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
        return "", f"Tesseract could not read page {number} ({reason[0]}), so the page was skipped; check the scan"
    raw = done.stdout.decode("utf-8", errors="replace").replace("\f", "")
    paragraphs = [block.strip().split("\n") for block in re.split(r"\n\s*\n", raw) if block.strip()]
    lines = [line.strip() for paragraph in paragraphs for line in paragraph]
    gaps = [
        index > 0 and position == 0
        for index, (position, _) in enumerate(
            (position, line) for paragraph in paragraphs for position, line in enumerate(paragraph)
        )
    ]
    return _joined(lines, gaps), ""


def _has_image(page: Any) -> bool:
    import pypdfium2.raw as pdfium_c

    return next(iter(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2)), None) is not None


def read_pdf(path: Path, data: bytes, limits: Limits) -> LoadedDocument:
    """Pages separated by a blank line, their numbers kept; OCR'd pages are sections 'page N (OCR text)'."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise IngestError(f"{path.name}: the PDF is encrypted; save an unprotected copy and ingest that") from exc
        raise IngestError(f"{path.name}: not a readable PDF ({exc}); re-export or repair the file") from exc
    try:
        laid_out: list[tuple[list[_Line], float]] = []
        scanned: set[int] = set()
        for index in range(len(document)):
            page = document[index]
            width, height = page.get_size()
            segments = _segments(page.get_textpage())
            # A scan may carry a few characters of real text (a stamped page number); OCR reads those too.
            if sum(len(segment.text) for segment in segments) < SCANNED_MAX_CHARS and _has_image(page):
                scanned.add(index)
                segments = []
            laid_out.append((_reading_order(segments, width), height))
        pages = _strip_running(laid_out)
        out = SectionedText(path, limits)
        notes: list[str] = []
        ocr_before = False
        for index, lines in enumerate(pages):
            out.page()
            if index in scanned:
                text, note = _ocr(document[index], index + 1, path)
                if note:
                    notes.append(note)
                out.section(f"page {index + 1} (OCR text)")
                ocr_before = True
            else:
                text = _page_text(lines) if lines else ""
                if ocr_before:
                    out.section()
                    ocr_before = False
            out.add(text)
    finally:
        document.close()
    loaded = out.document()
    if not loaded.text.strip():
        if notes:
            more = f" ({len(notes) - 1} more pages like it)" if len(notes) > 1 else ""
            raise IngestError(f"{path.name}: {notes[0]}{more}")
        raise IngestError(
            f"{path.name}: the PDF has no extractable text (no text layer, and OCR found none); run OCR on it "
            "with another tool or check the scan"
        )
    return LoadedDocument(loaded.source, loaded.text, loaded.page_starts, loaded.sections, tuple(notes))


def load_pdf(path: Path, data: bytes, limits: Limits) -> LoadedDocument:
    """Text of each PDF page in reading order, pages separated by a blank line; page numbers are kept and
    pages without a text layer are OCR'd. pypdf checks the file first: it refuses a damaged file that pdfium
    would silently half-read, and tells an encrypted one apart. What it repaired on the way becomes a note
    naming the file (printed bare on stderr, a warning could not be told to belong to any file)."""
    from pypdf.errors import PdfReadError

    with _pypdf_warnings() as warned:
        try:
            len(_open_pdf(path, data).pages)
        except IngestError:
            raise
        except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
            raise IngestError(f"{path.name}: not a readable PDF ({exc}); re-export or repair the file") from exc
    document = read_pdf(path, data, limits)
    if not warned:
        return document
    shown = "; ".join(list(dict.fromkeys(warned))[:3]) + (f" and {len(warned) - 3} more" if len(warned) > 3 else "")
    note = f"the PDF is damaged but was read (pypdf: {shown}); re-export it if text is missing"
    return dataclasses.replace(document, notes=(*document.notes, note))


def _open_pdf(path: Path, data: bytes) -> Any:
    """A PdfReader for ``data``; a PDF locked with an empty user password (only copying or printing
    restricted) is opened, one that needs a password is refused."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    reader = PdfReader(io.BytesIO(data))
    try:
        unlocked = not reader.is_encrypted or bool(reader.decrypt(""))
    except DependencyError:  # AES, which needs the optional cryptography package even to try
        unlocked = False
    if not unlocked:
        raise IngestError(f"{path.name}: the PDF is encrypted; save an unprotected copy and ingest that")
    return reader


class _ThreadWarnings(logging.Handler):
    """Keeps the warnings logged on one thread (the one reading this file; another may read another PDF)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.messages.append(" ".join(record.getMessage().split()))


_capturing = threading.Lock()
_captures: list[_ThreadWarnings] = []


@contextlib.contextmanager
def _pypdf_warnings() -> Iterator[list[str]]:
    """pypdf's warnings while the block runs on this thread, kept from stderr (pypdf logs them with no file
    name): without handlers of its own, Python's logging prints them bare through its last-resort handler."""
    logger = logging.getLogger("pypdf")
    handler = _ThreadWarnings()
    with _capturing:
        _captures.append(handler)
        logger.addHandler(handler)
        logger.propagate = False
    try:
        yield handler.messages
    finally:
        with _capturing:
            _captures.remove(handler)
            logger.removeHandler(handler)
            logger.propagate = not _captures
