"""Section paths: where a loader says sections begin, chunks end; each chunk carries its path into the
catalog, old catalogs gain the column, and the citation card shows the path as text."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from assistant.index.catalog import Catalog
from assistant.types import ChunkRecord, Citation
from ingest.chunker import chunk_document
from ingest.document import LoadedDocument
from ui.render import card_title


def test_chunks_end_where_a_section_begins_and_carry_its_path() -> None:
    text = "Alpha one. Alpha two.\n\nBeta one. Beta two.\n\nBeta three."
    beta = text.index("Beta one")
    document = LoadedDocument("doc.txt", text, sections=((0, "Book > Alpha"), (beta, "Book > Beta")))
    chunks = chunk_document(document, size=1000, overlap=200)
    assert [(chunk.section, chunk.text) for chunk in chunks] == [
        ("Book > Alpha", "Alpha one. Alpha two."),
        ("Book > Beta", "Beta one. Beta two.\n\nBeta three."),
    ]
    assert all(text[chunk.start : chunk.end] == chunk.text for chunk in chunks)


def test_text_before_the_first_section_has_none() -> None:
    document = LoadedDocument("doc.txt", "Preface.\n\nBody.", sections=((10, "Part 1"),))
    assert (document.section_at(0), document.section_at(10), document.section_at(12)) == ("", "Part 1", "Part 1")


def test_an_old_catalog_gains_the_section_column_and_keeps_its_chunks(tmp_path: Path) -> None:
    path = tmp_path / "catalog.db"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE chunks (rowid INTEGER PRIMARY KEY, collection TEXT NOT NULL, chunk_id TEXT NOT NULL, "
        "source TEXT NOT NULL, "
        'start INTEGER NOT NULL, "end" INTEGER NOT NULL, page INTEGER, text TEXT NOT NULL, UNIQUE (collection, '
        "chunk_id))"
    )
    db.execute("INSERT INTO chunks VALUES (1, 'docs', 'c1', 'a.txt', 0, 6, NULL, 'Saturn')")
    db.commit()
    db.close()
    catalog = Catalog(path)
    assert catalog.records.chunks("docs", ["c1"]) == {"c1": ChunkRecord("c1", "a.txt", 0, 6, None, "Saturn", "")}
    catalog.replace_source(
        "docs",
        "b.csv",
        "x",
        "Moon: Titan.",
        [],
        [ChunkRecord("c2", "b.csv", 0, 12, None, "Moon: Titan.", "Moons > row 2")],
    )
    assert catalog.records.chunks("docs", ["c2"])["c2"].section == "Moons > row 2"
    assert [record.chunk_id for record, _ in catalog.keywords.search("docs", "moons", 5)] == ["c2"]
    catalog.close()
    Catalog(path).close()  # opening it again leaves the column as it is


def test_the_citation_card_names_the_section_as_text() -> None:
    citation = Citation(n=1, source="/d/stats.xlsx", chunk_id="c", start=0, end=5, text="x", section="*Q3* > row 4")
    assert card_title(citation, 1) == r"[1] stats\.xlsx · \*Q3\* \> row 4"
    plain = Citation(n=2, source="/d/a.txt", chunk_id="c", start=0, end=5, text="x", page=3)
    assert card_title(plain, 2) == r"[2] a\.txt · page 3"


def test_markdown_headings_make_nested_sections_and_fenced_ones_do_not(tmp_path: Path) -> None:
    from ingest.loaders import load_document

    path = tmp_path / "guide.md"
    path.write_text(
        "# Guide\n\nIntro.\n\n## Setup\n\nRun it.\n\n```\n# not a heading\n```\n\n### Linux\n\nUse apt.\n\n## "
        "Use\n\nAsk.\n"
    )
    document = load_document(path)
    assert [name for _, name in document.sections] == ["Guide", "Guide > Setup", "Guide > Setup > Linux", "Guide > Use"]
    assert document.section_at(document.text.index("# not a heading")) == "Guide > Setup"
    assert document.text == path.read_text()  # Markdown is still stored exactly as written


def test_html_and_docx_headings_make_sections(tmp_path: Path) -> None:
    from docx import Document

    from ingest.loaders import load_document

    page = tmp_path / "policy.html"
    page.write_text(
        "<h1>Policy</h1><p>Scope text.</p><h2>Equipment</h2><p>Laptops are lent.</p><h3>Returns</h3><p>Return it.</p>"
    )
    document = load_document(page)
    assert document.section_at(document.text.index("Return it")) == "Policy > Equipment > Returns"
    assert document.section_at(document.text.index("Laptops")) == "Policy > Equipment"
    memo = Document()
    memo.add_heading("Budget memo", level=0)
    memo.add_paragraph("Opening words.")
    memo.add_heading("Costs", level=1)
    memo.add_paragraph("The roof costs 18,400 euros.")
    memo.save(str(tmp_path / "memo.docx"))
    document = load_document(tmp_path / "memo.docx")
    assert document.section_at(document.text.index("18,400")) == "Budget memo > Costs"
    assert document.section_at(document.text.index("Opening")) == "Budget memo"
