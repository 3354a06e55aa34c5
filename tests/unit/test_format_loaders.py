"""Loaders of slides, workbooks, CSV, e-books, e-mail and laid-out or scanned PDFs, on files generated
here: the text a reader would see, its pages and section paths, and chunk offsets that slice it exactly."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.errors import IngestError
from ingest.chunker import chunk_document
from ingest.loaders import LoadedDocument, load_document
from tests.fixtures.documents import write_pdf
from tests.fixtures.formats import (
    FACTS,
    HEADER,
    WRITERS,
    write_csv,
    write_eml,
    write_epub,
    write_layout_pdf,
    write_pptx,
    write_scanned_pdf,
    write_xlsx,
)

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr is not installed")


def chunk_holding(document: LoadedDocument, words: str):
    chunks = chunk_document(document)
    for chunk in chunks:
        assert document.text[chunk.start : chunk.end] == chunk.text
    found = [chunk for chunk in chunks if words in chunk.text]
    assert found, f"{words!r} is in no chunk of {document.source}"
    return found[0]


@pytest.mark.parametrize("fact", [fact for fact in FACTS if not fact.file.endswith("scan.pdf")], ids=lambda f: f.file)
def test_each_fact_is_in_a_chunk_with_its_page_and_section(tmp_path: Path, fact) -> None:
    document = load_document(WRITERS[fact.file](tmp_path / fact.file))
    chunk = chunk_holding(document, fact.answer)
    assert chunk.page == fact.page
    assert chunk.section.endswith(fact.section) if fact.section else chunk.section == ""


def test_slides_are_pages_titled_in_the_section_and_notes_follow_their_slide(tmp_path: Path) -> None:
    document = load_document(write_pptx(tmp_path / "deck.pptx"))
    assert len(document.page_starts) == 3
    notes = chunk_holding(document, "city council approved")
    assert (notes.page, notes.section) == (2, "Harbor Renewal Plan > Slide 2: Budget > speaker notes")
    slide = chunk_holding(document, "4.2 million euros")
    assert (slide.page, slide.section) == (2, "Harbor Renewal Plan > Slide 2: Budget")


def test_sheet_rows_become_header_value_pairs_named_by_sheet_and_row(tmp_path: Path) -> None:
    document = load_document(write_xlsx(tmp_path / "stats.xlsx"))
    row = chunk_holding(document, "Island Shuttle")
    # The sheet's name opens the row: a year or a place given only there stays with the row.
    assert row.text == "Routes — Route: Island Shuttle; Daily sailings: 9; Passengers 2025: 96,500; On time: 87.5%."
    assert row.section == "Routes > row 3"
    assert chunk_holding(document, "Captains").section == "Staff > row 3"
    assert document.page_starts == ()


def test_csv_rows_are_numbered_as_a_spreadsheet_shows_them(tmp_path: Path) -> None:
    document = load_document(write_csv(tmp_path / "harvest.csv"))
    assert chunk_holding(document, "Golden Russet").section == "row 4"
    semicolons = tmp_path / "semi.csv"
    semicolons.write_text("Name;Age\nAda;36\nGrace;45\n", encoding="utf-8")
    assert chunk_holding(load_document(semicolons), "Grace").text == "Name: Grace; Age: 45."


def test_epub_chapters_and_their_headings_are_sections(tmp_path: Path) -> None:
    document = load_document(write_epub(tmp_path / "book.epub"))
    assert chunk_holding(document, "Agnes Marlow").section == "The Keepers of Gull Rock > The Storm of 1911"
    assert chunk_holding(document, "silver watch").section == "The Keepers of Gull Rock > The Storm of 1911 > Aftermath"
    assert chunk_holding(document, "supply boat").section == "The Keepers of Gull Rock > Arrival"


def test_email_headers_and_body_are_kept_and_attachments_named(tmp_path: Path) -> None:
    document = load_document(write_eml(tmp_path / "quote.eml"))
    headers = chunk_holding(document, "From: Dana Okafor")
    assert headers.section == "Library roof repair quote > headers"
    assert "Date: Mon, 04 May 2026" in headers.text
    assert chunk_holding(document, "18,400 euros").section == "Library roof repair quote > body"
    assert "quote.pdf" in document.text and "placeholder" not in document.text


def test_an_html_only_email_keeps_the_visible_text_of_its_body(tmp_path: Path) -> None:
    from email.message import EmailMessage

    message = EmailMessage()
    message["Subject"] = "Opening hours"
    message["From"] = "desk@example.org"
    message.set_content(
        "<html><body><p>The reading room opens at <b>9:30</b>.</p><script>alert(1)</script></body></html>",
        subtype="html",
    )
    (tmp_path / "hours.eml").write_bytes(bytes(message))
    body = chunk_holding(load_document(tmp_path / "hours.eml"), "reading room")
    assert body.section == "Opening hours > body"
    assert "9:30" in body.text and "alert" not in body.text and "<b>" not in body.text


def test_pdf_layout_columns_running_lines_hyphens_and_tables(tmp_path: Path) -> None:
    document = load_document(write_layout_pdf(tmp_path / "report.pdf"))
    text = document.text
    assert HEADER not in text  # the running header of both pages
    assert not any(line.strip() in ("1", "2") for line in text.splitlines())  # the page numbers
    assert "restrictions on garden hoses" in text  # 'restric-' + 'tions' joined
    # The left column is read to its end before the right one starts.
    assert text.index("lifted in\nOctober.") < text.index("Pipes") < text.index("plan for the coming decade")
    assert "Reservoir | Capacity (ML) | Level" in text.splitlines()
    assert "Reservoir: Hollow Creek; Capacity (ML): 2,350; Level: 64%." in text.splitlines()
    assert document.page_at(text.index("Hollow Creek")) == 2
    assert document.page_at(text.index("1,240 leaks")) == 1


def test_justified_columns_above_a_table_read_columns_then_table(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(False)
    pdf.set_font("Helvetica", size=10)
    left = (
        "Harbour pilots guide large vessels through the narrow channel, with careful timing. " * 3 + "Left ends here."
    )
    right = "The port authority keeps a radio watch on channel twelve day and night. " * 3 + "Right ends here."
    for number in (1, 2, 3):
        pdf.add_page()
        pdf.set_font("Helvetica", size=8)
        pdf.set_xy(10, 6)
        pdf.cell(0, 4, "Port Authority Quarterly - Spring issue", align="R")
        pdf.set_font("Helvetica", size=10)
        pdf.set_xy(10, 20)
        pdf.multi_cell(90, 5, left, align="J")
        pdf.set_xy(110, 20)
        pdf.multi_cell(90, 5, right, align="J")
        pdf.set_xy(10, 100)
        with pdf.table(col_widths=(40, 30, 30), width=100, align="L") as table:
            for cells in [("Vessel", "Length", "Draft"), ("Aurora", "210 m", "11 m"), ("Kestrel", "95 m", "6 m")]:
                row = table.row()
                for cell in cells:
                    row.cell(cell)
        pdf.set_xy(10, 285)
        pdf.cell(0, 5, f"- {number} -", align="C")
    pdf.output(str(tmp_path / "quarterly.pdf"))
    document = load_document(tmp_path / "quarterly.pdf")
    first_page = document.text[: document.page_starts[1]]
    assert (
        first_page.index("Left ends here.")
        < first_page.index("The port authority")
        < first_page.index("Right ends here.")
    )
    assert first_page.index("Right ends here.") < first_page.index("Vessel: Aurora; Length: 210 m; Draft: 11 m.")
    assert "Quarterly" not in document.text and "- 1 -" not in document.text


def test_a_pdf_with_few_pages_keeps_a_line_repeated_in_its_body(tmp_path: Path) -> None:
    path = write_pdf(
        tmp_path / "body.pdf",
        font_size=14,
        line_height=9,
        pages=["Summary: the harbor reopens in May.", "Summary: the harbor reopens in May."],
    )
    assert load_document(path).text.count("the harbor reopens in May") == 2


@needs_tesseract
def test_a_scanned_pdf_is_read_by_ocr_with_its_page_and_marked_as_ocr(tmp_path: Path) -> None:
    document = load_document(write_scanned_pdf(tmp_path / "scan.pdf"))
    chunk = chunk_holding(document, "6.8 metres")
    assert (chunk.page, chunk.section) == (2, "page 2 (OCR text)")
    assert chunk_holding(document, "Tidal Survey Report").page == 1
    assert document.notes == ()


@needs_tesseract
def test_a_scan_with_a_stamped_page_number_is_still_read_by_ocr(tmp_path: Path) -> None:
    import pypdfium2 as pdfium
    from fpdf import FPDF

    scan = write_scanned_pdf(tmp_path / "scan.pdf")
    image = pdfium.PdfDocument(str(scan))[1].render(scale=150 / 72).to_pil()
    stamped = FPDF()
    stamped.add_page()
    stamped.image(image, x=0, y=0, w=210, h=297)
    stamped.set_font("Helvetica", size=8)
    stamped.text(195, 290, "p. 7")
    stamped.output(str(tmp_path / "stamped.pdf"))
    document = load_document(tmp_path / "stamped.pdf")
    assert "6.8 metres" in document.text and document.sections == ((0, "page 1 (OCR text)"),)


def test_without_tesseract_a_scanned_page_is_skipped_with_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pypdfium2 as pdfium

    scan = write_scanned_pdf(tmp_path / "scan.pdf")
    text = write_pdf(tmp_path / "text.pdf", font_size=14, line_height=9, pages=["The survey boat is called Petrel."])
    mixed = tmp_path / "mixed.pdf"
    merged = pdfium.PdfDocument.new()
    merged.import_pages(pdfium.PdfDocument(str(text)))
    merged.import_pages(pdfium.PdfDocument(str(scan)), [1])
    merged.save(str(mixed))
    monkeypatch.setenv("PATH", str(tmp_path))  # no tesseract on it
    document = load_document(mixed)
    assert "Petrel" in document.text and "6.8" not in document.text
    assert document.notes == (
        (
            "page 2 has no text layer and Tesseract is not installed, so the page was skipped; install it "
            "(Debian/Ubuntu: apt-get install tesseract-ocr) and ingest again"
        ),
    )
    with pytest.raises(
        IngestError,
        match=r"scan\.pdf: page 1 has no text layer and Tesseract is not installed, .* \(1 more pages like it\)",
    ):
        load_document(scan)
