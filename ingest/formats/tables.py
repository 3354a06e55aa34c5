"""Comma- or tab-separated exports (.csv, .tsv): one section per row of "header: value" lines."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from assistant.errors import IngestError
from ingest.document import Limits, LoadedDocument, SectionedText
from ingest.formats.office import add_rows, cell_text


def load_csv(path: Path, data: bytes, limits: Limits) -> LoadedDocument:
    """Rows numbered as a spreadsheet shows them (the header is row 1); the delimiter is detected."""
    from ingest.loaders import decode_text

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
    try:
        rows = (
            (number, [cell_text(cell) for cell in row])
            for number, row in enumerate(csv.reader(io.StringIO(text), dialect), start=1)
        )
        add_rows(out, rows)
    except csv.Error as exc:
        raise IngestError(f"{path.name}: not a readable CSV file ({exc}); re-export it as CSV (UTF-8)") from exc
    return out.document()
