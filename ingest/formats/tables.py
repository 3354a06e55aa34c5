"""Comma- or tab-separated exports (.csv, .tsv): one section per row of "header: value" lines."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

from assistant.errors import IngestError
from ingest.document import Limits, LoadedDocument, SectionedText
from ingest.formats.office import add_rows, cell_text, row_line
from ingest.formats.text import decode_text

# A table with more rows than this is cited by blocks of ROW_BLOCK rows ('rows 2-51'), not row by row: a
# section per row of a million-row export held a million section records, and as many chunks and vectors.
LARGE_TABLE_ROWS = 20_000
ROW_BLOCK = 50


def load_csv(path: Path, data: bytes, limits: Limits) -> LoadedDocument:
    """Rows numbered as a spreadsheet shows them (the header is row 1); the delimiter is detected."""
    try:
        text = decode_text(data, path.name)
    except IngestError as exc:
        raise IngestError(
            f"{path.name}: not a readable CSV file ({str(exc).split('; ')[0].split(': ', 1)[-1]}); "
            "re-export it as CSV (UTF-8)"
        ) from exc
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:20_000], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel_tab if path.suffix.lower() == ".tsv" else csv.excel
    out = SectionedText(path, limits)
    large = text.count("\n") > LARGE_TABLE_ROWS
    try:
        rows = (
            (number, [cell_text(cell) for cell in row])
            for number, row in enumerate(csv.reader(io.StringIO(text), dialect), start=1)
        )
        del text
        if large:
            stored = _add_row_blocks(out, rows)
        else:
            add_rows(out, rows)
    except csv.Error as exc:
        raise IngestError(f"{path.name}: not a readable CSV file ({exc}); re-export it as CSV (UTF-8)") from exc
    document = out.document()
    if large:
        note = f"{stored:,} rows, cited in blocks of {ROW_BLOCK} rows"
        document = LoadedDocument(document.source, document.text, document.page_starts, document.sections, (note,))
    return document


def _add_row_blocks(out: SectionedText, rows: Iterable[tuple[int, list[str]]]) -> int:
    """A long table's rows as 'header: value' lines (as add_rows writes them), a section per block of
    ROW_BLOCK rows named by its row numbers; returns how many rows were stored."""
    header: list[str] | None = None
    block: list[str] = []
    first = last = stored = 0

    def close_block() -> None:
        if block:
            out.section(f"rows {first}-{last}")
            out.add("\n\n".join(block))
            block.clear()

    for number, cells in rows:
        if not any(cells):
            continue
        if header is None:
            header = cells
            continue
        if not block:
            first = number
        block.append(row_line(header, cells))
        last = number
        stored += 1
        if len(block) == ROW_BLOCK:
            close_block()
    close_block()
    return stored
