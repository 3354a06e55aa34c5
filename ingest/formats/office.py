"""Office files in the zip-of-XML format: slide decks (.pptx) and workbooks (.xlsx).

Slides keep their number as the page and their title in the section path; speaker notes follow their
slide as a section of their own. Each sheet row becomes a section holding one line of "header: value"
pairs, so a cited cell names its sheet and row. A table row starts with what scopes it (the sheet's name,
the slide's title: "Rota 2024 — Site: Site B; Staff: 3."), so a year given only there stays with the row.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from assistant.errors import IngestError
from ingest.document import Limits, LoadedDocument, SectionedText, check_unpacked_size

# Office writes a password-protected file as an OLE compound file (the encrypted zip inside), not a zip.
_COMPOUND_FILE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Names a program gives a sheet by itself ('Sheet1', 'Feuil1'): they scope nothing.
_DEFAULT_SHEET = re.compile(r"(?:sheet|feuil|tabelle|hoja|foglio|blad)\s*\d*", re.IGNORECASE)


def check_office_package(path: Path, data: bytes, limits: Limits, app: str, suffix: str) -> None:
    """Refuse, with the fix, what is not a readable zip package: a password-protected (or old binary)
    file, a file that is not a zip at all, a zip bomb."""
    if data.startswith(_COMPOUND_FILE):
        raise IngestError(
            f"{path.name}: the file is password-protected (or an old binary {app} file renamed to {suffix}); "
            f"remove the password in {app}, or save it as {suffix}, and ingest that copy"
        )
    try:
        check_unpacked_size(path, data, limits, app)
    except zipfile.BadZipFile as exc:
        raise IngestError(f"{path.name}: not a readable {suffix} file ({exc}); re-save it from {app}") from exc


def _shape_texts(shapes: Iterable[Any], scope: str) -> Iterator[str]:
    """Text of each shape in slide order: text frames, then tables as 'header: value' rows, inside groups too."""
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    for shape in shapes:
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            yield from _shape_texts(shape.shapes, scope)
        elif getattr(shape, "has_table", False) and shape.has_table:
            yield "\n".join(table_lines([[cell.text for cell in row.cells] for row in shape.table.rows], scope))
        elif getattr(shape, "has_text_frame", False) and shape.has_text_frame:
            yield shape.text_frame.text


def load_pptx(path: Path, data: bytes, limits: Limits) -> LoadedDocument:
    """Each slide is a page: its title, its text boxes and tables, then its speaker notes."""
    from lxml.etree import XMLSyntaxError
    from pptx import Presentation
    from pptx.exc import PackageNotFoundError

    check_office_package(path, data, limits, "PowerPoint", ".pptx")
    try:
        deck = Presentation(io.BytesIO(data))
        title = (deck.core_properties.title or "").strip()
        out = SectionedText(path, limits)
        for number, slide in enumerate(deck.slides, start=1):
            heading = slide.shapes.title.text_frame.text.strip() if slide.shapes.title is not None else ""
            name = f"Slide {number}" + (f": {' '.join(heading.split())}" if heading else "")
            out.page()
            out.section(title, name)
            for text in _shape_texts(slide.shapes, " ".join(heading.split())):
                out.add(text)
            if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
                notes = slide.notes_slide.notes_text_frame.text
                if notes.strip():
                    out.section(title, name, "speaker notes")
                    out.add(notes)
    except IngestError:
        raise
    except (PackageNotFoundError, zipfile.BadZipFile, XMLSyntaxError, KeyError, ValueError, AttributeError) as exc:
        raise IngestError(
            f"{path.name}: not a readable .pptx file ({exc}); re-save it from PowerPoint or LibreOffice"
        ) from exc
    return out.document()


def cell_text(value: object, number_format: str = "General") -> str:
    """A cell as a person reads it: 1200 not 1200.0, dates without a midnight time, and numbers with the
    thousands separators and percent signs of their cell format (96,500 where the sheet shows 96,500)."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool) and number_format != "General":
        section = number_format.split(";")[0]
        decimals = len(section.split(".")[1].split("%")[0].rstrip("_)- ")) if "." in section else 0
        if "%" in section:
            return f"{value * 100:.{decimals}f}%"
        if "#,##0" in section:
            return f"{value:,.{decimals}f}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return " ".join(str(value).split())


def row_line(header: list[str], cells: list[str], scope: str = "") -> str:
    """One table row as a statement: 'scope — header: value; header: value.' (empty cells left out)."""
    pairs = []
    for column, value in enumerate(cells):
        if not value:
            continue
        name = header[column] if column < len(header) and header[column] else _column_letter(column)
        pairs.append(f"{name}: {value}")
    # One line per row, ending as a sentence: a row is read (and cited) as one statement, its key column
    # beside each value.
    row = "; ".join(pairs)
    row = row if row.endswith((".", "!", "?")) else row + "."
    return f"{scope} — {row}" if scope else row


def table_lines(rows: list[list[str]], scope: str = "") -> list[str]:
    """A table's rows as 'header: value' lines, the first non-empty row being the header (kept as
    'cell | cell' when it is the only row)."""
    cleaned = [[" ".join(cell.split()) for cell in row] for row in rows]
    filled = [row for row in cleaned if any(row)]
    if not filled:
        return []
    header, body = filled[0], filled[1:]
    return [row_line(header, row, scope) for row in body] or [" | ".join(header)]


def add_rows(out: SectionedText, rows: Iterable[tuple[int, list[str]]], *path: str, scope: str = "") -> None:
    """A table's rows as sections of 'header: value' lines, the first non-empty row being the header. Each
    row is a section named by ``path`` and its row number, so a citation names the cell's row; ``scope``
    (a sheet's name) opens each row's line."""
    header: list[str] | None = None
    stored = 0
    for number, cells in rows:
        if not any(cells):
            continue
        if header is None:
            header = cells
            continue
        out.section(*path, f"row {number}")
        out.add(row_line(header, cells, scope))
        stored += 1
    if header is not None and not stored:
        # A table with a header and no data: keep the header, so the file is not reported empty.
        out.section(*path, "header row")
        out.add(" | ".join(header))


def _column_letter(column: int) -> str:
    letters = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return f"column {letters}"


def load_xlsx(path: Path, data: bytes, limits: Limits) -> LoadedDocument:
    """Each sheet a section, each row a section within it (row numbers as the spreadsheet shows them),
    written as one line of 'header: value' pairs.
    Formulas give the value Excel last saved with them."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    check_office_package(path, data, limits, "Excel", ".xlsx")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as exc:
        raise IngestError(
            f"{path.name}: not a readable .xlsx file ({exc}); re-save it from Excel or LibreOffice"
        ) from exc
    out = SectionedText(path, limits)
    try:
        for sheet in workbook.worksheets:
            rows = (
                (
                    number,
                    [cell_text(cell.value, getattr(cell, "number_format", "General") or "General") for cell in cells],
                )
                for number, cells in enumerate(sheet.iter_rows(), start=sheet.min_row or 1)
            )
            scope = "" if _DEFAULT_SHEET.fullmatch(sheet.title.strip()) else " ".join(sheet.title.split())
            add_rows(out, rows, sheet.title, scope=scope)
    finally:
        workbook.close()
    return out.document()
