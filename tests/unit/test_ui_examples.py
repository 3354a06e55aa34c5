"""Example questions come from the collection's own documents (a real catalog in a temp folder)."""

from pathlib import Path

from assistant.index.catalog import Catalog
from assistant.types import ChunkRecord
from ui.examples import example_questions
from ui.state import collection_slug


def record(catalog: Catalog, collection: str, source: str, sections: list[str], body: str = "Some text.") -> None:
    chunks, text = [], ""
    for number, section in enumerate(sections):
        start = len(text)
        text += body + "\n\n"
        chunks.append(ChunkRecord(f"{source}-{number}", source, start, start + len(body), None, body, section))
    catalog.replace_source(collection, source, "hash", text, [], chunks)


def test_examples_name_a_topic_of_each_document_and_skip_rows_and_pages(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path / "catalog.sqlite3")
    record(catalog, "team", "/up/staff_handbook.md", ["Staff handbook > 4.2 Holidays", "Staff handbook > 5 Pay"])
    record(catalog, "team", "/up/sales.csv", ["sales > row 1", "sales > row 2"])
    record(catalog, "team", "/up/scan.pdf", ["page 1 (OCR text)"])
    assert example_questions(catalog, "team") == ["What does staff handbook say about Holidays?"]


def test_a_document_without_sections_offers_its_title_line(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path / "catalog.sqlite3")
    record(catalog, "news", "/up/talks.txt", [""], body="Peace talks in Geneva\nThe delegations met on Monday.")
    assert example_questions(catalog, "news") == ["What does talks say about Peace talks in Geneva?"]


def test_an_empty_collection_offers_no_examples(tmp_path: Path) -> None:
    assert example_questions(Catalog(tmp_path / "catalog.sqlite3"), "none") == []


def test_typed_collection_names_become_valid_names() -> None:
    assert collection_slug("Team docs") == "team-docs"
    assert collection_slug("  Café Ünion 2026! ") == "cafe-union-2026"
    assert collection_slug("***") == ""
