"""Word documents (.docx): paragraphs and tables in the order they stand, headings as sections.

A table becomes one 'header: value' line per row, like a sheet, opened by the heading it stands under
("Rota 2024 — Site: Site B; Staff: 3."), so a cell keeps its column and its scope. Numbered and bulleted
list paragraphs get their '1.' or '-' back (Word draws them; the text does not hold them).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

from assistant.errors import IngestError
from ingest.document import Limits, LoadedDocument, heading_sections
from ingest.formats.office import check_office_package, table_lines

_HEADING_STYLE = re.compile(r"Heading ([1-3])")
_TYPED_MARKER = re.compile(r"\s*(?:[-*•]|\d{1,3}[.)])\s")


def load_docx(path: Path, data: bytes, limits: Limits) -> LoadedDocument:
    """Paragraphs and tables of a Word document in document order, one block each (a table a block)."""
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from lxml.etree import XMLSyntaxError

    # A password-protected file is an OLE container, not a zip: said so here, as for slides and workbooks.
    check_office_package(path, data, limits, "Word", ".docx")
    try:
        document = Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, XMLSyntaxError, KeyError, ValueError) as exc:
        raise IngestError(
            f"{path.name}: not a readable .docx file ({exc}); re-save it from Word or LibreOffice"
        ) from exc
    blocks: list[str] = []
    headings: list[tuple[int, str]] = []
    numbering = _Numbering()
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            scope = headings[-1][1] if headings else ""
            blocks.append("\n".join(table_lines([[cell.text for cell in row.cells] for row in item.rows], scope)))
            numbering.reset()
            continue
        text = item.text.strip()
        level = _level(item)
        if level and text:
            headings.append((level, " ".join(text.split())))
        marker = numbering.marker(item)
        blocks.append(text if not text or _TYPED_MARKER.match(text) else marker + text)
    text = "\n\n".join(block for block in blocks if block)
    limits.check_text(path, len(text))
    return LoadedDocument(str(path), text, sections=heading_sections(text, headings))


def _level(paragraph: Any) -> int:
    """0 for body text; 1 for the Title style, 2-4 for Heading 1-3 (a Title above Heading 1 nests it)."""
    name = _style(paragraph)
    if name == "Title":
        return 1
    match = _HEADING_STYLE.fullmatch(name)
    return int(match.group(1)) + 1 if match else 0


def _style(paragraph: Any) -> str:
    return (paragraph.style.name if paragraph.style is not None else "") or ""


class _Numbering:
    """The '1.', '2.' of a run of 'List Number' paragraphs and the '-' of 'List Bullet' ones."""

    def __init__(self) -> None:
        self._count = 0

    def reset(self) -> None:
        self._count = 0

    def marker(self, paragraph: Any) -> str:
        style = _style(paragraph)
        if style.startswith("List Number"):
            self._count += 1
            return f"{self._count}. "
        self._count = 0
        return "- " if style.startswith("List Bullet") else ""
