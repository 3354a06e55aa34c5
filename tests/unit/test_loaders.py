from pathlib import Path

import pytest

from assistant.errors import IngestError
from ingest.loaders import load_document
from tests.fixtures.documents import write_docx, write_pdf


def test_text_is_kept_exactly_so_offsets_slice_the_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_bytes("# Title\r\n\r\nCafé – naïve text.\n".encode())
    assert load_document(path).text == path.read_bytes().decode("utf-8")


def test_text_in_another_encoding_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes("Die Straße nach München führt über Hügel und Täler.".encode("cp1252"))
    assert "München" in load_document(path).text


def test_binary_data_named_txt_is_refused_with_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(IngestError, match=r"image.txt: looks like binary data"):
        load_document(path)


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.md"
    path.write_text("  \n\n ")
    with pytest.raises(IngestError, match=r"empty.md: the file is empty"):
        load_document(path)


def test_html_keeps_visible_text_only(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>T</title><style>body{color:red}</style></head><body>"
        "<nav>Home | About</nav><h1>Heading</h1><p>First <b>bold</b> paragraph.</p>"
        "<script>alert('x')</script><p>Second paragraph.</p></body></html>"
    )
    text = load_document(path).text
    assert text == "Heading\n\nFirst bold paragraph.\n\nSecond paragraph."


def test_pdf_pages_are_numbered(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "report.pdf", ["The first page talks about apples.", "The second page is about pears."])
    document = load_document(path)
    assert document.page_at(document.text.index("apples")) == 1
    assert document.page_at(document.text.index("pears")) == 2


def test_corrupt_pdf_gets_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n this is not really a pdf")
    with pytest.raises(IngestError, match=r"broken.pdf: not a readable PDF"):
        load_document(path)


def test_docx_paragraphs_and_tables_are_read(tmp_path: Path) -> None:
    path = write_docx(
        tmp_path / "memo.docx", ["Memo title", "The budget is 40 euros."], [["Item", "Cost"], ["Tea", "3"]]
    )
    text = load_document(path).text
    assert "The budget is 40 euros." in text
    assert "Item: Tea; Cost: 3." in text


def test_corrupt_docx_gets_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "memo.docx"
    path.write_bytes(b"PK\x03\x04 not a zip at all")
    with pytest.raises(IngestError, match=r"memo.docx: not a readable .docx"):
        load_document(path)


def test_unsupported_type_lists_the_supported_ones(tmp_path: Path) -> None:
    path = tmp_path / "sheet.ods"
    path.write_bytes(b"data")
    with pytest.raises(IngestError, match=r"unsupported file type '.ods'; supported: .csv, .docx, .eml, .epub"):
        load_document(path)
