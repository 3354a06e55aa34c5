"""Catalog files written by earlier versions open, keep their data, and are brought up to date once."""

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from assistant.errors import StoreError
from assistant.index import schema
from assistant.index.catalog import Catalog
from assistant.index.schema import MIGRATIONS, applied, fts_table
from assistant.types import ChunkRecord
from tests.fixtures.catalog import TABLES_BEFORE_MIGRATIONS, add_texts, write_old_catalog

ALL = [name for name, _ in MIGRATIONS]


def _tables(path: Path) -> list[tuple[str, str, str | None]]:
    with closing(sqlite3.connect(path)) as db:
        return db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()


def _versions(path: Path) -> list[tuple[str, float]]:
    with closing(sqlite3.connect(path)) as db:
        return db.execute("SELECT name, applied_at FROM schema_migrations ORDER BY rowid").fetchall()


def _what_a_user_sees(catalog: Catalog) -> dict[str, object]:
    return {
        "sources": [(r.source, r.sha256, r.chunk_count, r.ingested_at) for r in catalog.records.sources("docs")],
        "collections": catalog.records.collections(),
        "chunks": catalog.records.collection_chunks("docs"),
        "found": [record.chunk_id for record, _ in catalog.keywords.search("docs", "methane lakes", 5)],
        "text": catalog.texts.text_of("docs", "a.txt"),
        "pages": [catalog.texts.page_at("docs", "a.txt", offset) for offset in (0, 30)],
        "pending": catalog.journal.pending("docs"),
        "keyword_gaps": catalog.keywords.gaps("docs"),
    }


def test_a_catalog_written_before_migrations_were_recorded_opens_with_its_data_and_records_them(
    tmp_path: Path,
) -> None:
    path = tmp_path / "catalog.sqlite3"
    write_old_catalog(path, sections=True)
    before = _tables(path)
    catalog = Catalog(path)
    assert _what_a_user_sees(catalog) == {
        "sources": [("a.txt", "sha", 2, 1700000000.0)],
        "collections": [("docs", 1, 2)],
        "chunks": [
            ChunkRecord("a-0", "a.txt", 0, 24, 1, "Saturn has rings of ice.", "Moons"),
            ChunkRecord("a-1", "a.txt", 26, 53, 2, "Titan has lakes of methane.", "Moons"),
        ],
        "found": ["a-1"],
        "text": "Saturn has rings of ice.\n\nTitan has lakes of methane.",
        "pages": [1, 2],
        "pending": ["old-vector"],
        "keyword_gaps": (0, 0),
    }
    catalog.close()
    # Only the record of the migrations is new in the file; its tables are those it had.
    assert [name for name, _ in _versions(path)] == ALL
    assert [row for row in _tables(path) if "schema_migrations" not in row[1]] == before


def test_a_catalog_from_before_sections_and_per_collection_keywords_is_migrated_on_open(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    write_old_catalog(path, sections=False)
    catalog = Catalog(path)
    seen = _what_a_user_sees(catalog)
    assert seen["chunks"] == [
        ChunkRecord("a-0", "a.txt", 0, 24, 1, "Saturn has rings of ice.", ""),
        ChunkRecord("a-1", "a.txt", 26, 53, 2, "Titan has lakes of methane.", ""),
    ]
    assert seen["found"] == ["a-1"] and seen["keyword_gaps"] == (0, 0) and seen["pending"] == ["old-vector"]
    # A new file of the migrated catalog takes a section.
    add_texts(catalog, "docs", "b.txt", ["Enceladus has geysers."])
    catalog.close()
    names = {name for _, name, _ in _tables(path)}
    assert "chunks_fts" not in names and fts_table("docs") in names
    assert [name for name, _ in _versions(path)] == ALL


def test_a_new_catalog_has_todays_tables_and_is_migrated_once(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    Catalog(path).close()
    first = _versions(path)
    assert [name for name, _ in first] == ALL
    Catalog(path).close()
    assert _versions(path) == first
    # The same tables as the code before migrations made, plus the record of them.
    reference = tmp_path / "reference.sqlite3"
    with closing(sqlite3.connect(reference)) as db:
        db.executescript(TABLES_BEFORE_MIGRATIONS)
    assert [row for row in _tables(path) if "schema_migrations" not in row[1]] == _tables(reference)


def test_a_migration_added_later_runs_once_in_order_on_files_that_lack_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "catalog.sqlite3"
    catalog = Catalog(path)
    add_texts(catalog, "docs", "a.txt", ["Saturn has rings."])
    catalog.close()
    runs: list[int] = []

    def tag_documents(db: sqlite3.Connection) -> None:
        runs.append(1)
        db.execute("ALTER TABLE documents ADD COLUMN tag TEXT NOT NULL DEFAULT 'kept'")

    monkeypatch.setattr(schema, "MIGRATIONS", (*MIGRATIONS, ("tag_documents", tag_documents)))
    catalog = Catalog(path)
    assert [r.source for r in catalog.records.sources("docs")] == ["a.txt"]
    catalog.close()
    Catalog(path).close()
    assert runs == [1]
    assert [name for name, _ in _versions(path)] == [*ALL, "tag_documents"]
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("SELECT tag FROM documents").fetchall() == [("kept",)]


def test_a_failing_migration_leaves_the_file_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "catalog.sqlite3"
    write_old_catalog(path, sections=False)
    before = _tables(path)

    def broken(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE half_done (x)")
        raise sqlite3.OperationalError("no such thing")

    monkeypatch.setattr(schema, "MIGRATIONS", (*MIGRATIONS, ("broken", broken)))
    with pytest.raises(StoreError, match="the catalog database is unreadable"):
        Catalog(path)
    assert _tables(path) == before
    with closing(sqlite3.connect(path)) as db:
        assert applied(db) == []
