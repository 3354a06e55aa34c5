"""Each part of the catalog on its own (over one connection to a migrated file), the data-folder helpers, and the
one transaction that replacing a file makes across the parts."""

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.errors import DiskFullError, StoreError
from assistant.index import keywords, records
from assistant.index.catalog import Catalog
from assistant.index.connection import Connection
from assistant.index.folder import catalog_file, closest_collection, ensure_data_dir, open_data_file
from assistant.index.journal import Journal
from assistant.index.keywords import Keywords, keyword_text
from assistant.index.records import Records
from assistant.index.schema import fts_table, migrate
from assistant.index.texts import Texts
from assistant.types import ChunkRecord
from tests.fixtures.catalog import add_texts


@pytest.fixture
def connection(tmp_path: Path) -> Iterator[Connection]:
    db = sqlite3.connect(str(tmp_path / "catalog.sqlite3"), isolation_level=None, check_same_thread=False)
    keywords.register(db)
    migrate(db)
    connection = Connection(db)
    yield connection
    connection.close()


def _write(connection: Connection, source: str, text: str, page_starts: list[int], chunks: list[ChunkRecord]) -> None:
    with connection.transaction() as db:
        records.write_document(db, "docs", source, "sha", text, page_starts)
        table = keywords.delete_rows(db, "docs", source)
        for chunk in chunks:
            keywords.write_row(db, table, records.write_chunk(db, "docs", source, chunk), chunk)
        records.write_chunk_count(db, "docs", source, len(chunks))


def test_the_journal_notes_lists_and_clears_vectors_per_collection(connection: Connection) -> None:
    journal = Journal(connection)
    journal.note("docs", ["v2", "v1", "v2"])
    journal.note("other", ["v3"])
    assert journal.pending("docs") == ["v1", "v2"]
    journal.clear("docs", ["v1"])
    assert journal.pending("docs") == ["v2"] and journal.pending("other") == ["v3"]


def test_a_read_only_connection_refuses_writes_saying_the_disk_is_full(connection: Connection) -> None:
    connection.read_only = True
    with pytest.raises(DiskFullError, match="opened for reading only, the disk holding the data folder being full"):
        Journal(connection).note("docs", ["v1"])
    assert Journal(connection).pending("docs") == []


def test_texts_give_a_files_text_and_the_page_of_an_offset(connection: Connection) -> None:
    text = "First page.\n\nSecond page."
    _write(connection, "a.pdf", text, [0, 13], [])
    _write(connection, "b.txt", "No pages here.", [], [])
    texts = Texts(connection)
    assert texts.text_of("docs", "a.pdf") == text and texts.text_of("docs", "missing.txt") is None
    assert [texts.page_at("docs", "a.pdf", offset) for offset in (0, 12, 13, 20)] == [1, 1, 2, 2]
    assert texts.page_at("docs", "b.txt", 3) is None and texts.page_at("docs", "missing.txt", 0) is None


def test_records_list_files_and_chunks(connection: Connection) -> None:
    chunks = [
        ChunkRecord("c1", "a.txt", 0, 6, None, "Saturn", "Moons"),
        ChunkRecord("c2", "a.txt", 7, 12, None, "Titan"),
    ]
    _write(connection, "a.txt", "Saturn Titan", [], chunks)
    found = Records(connection)
    assert [(r.source, r.chunk_count) for r in found.sources("docs")] == [("a.txt", 2)]
    assert found.source("docs", "b.txt") is None and found.collections() == [("docs", 1, 2)]
    assert found.chunk_ids("docs", "a.txt") == ["c1", "c2"] and found.collection_chunks("docs") == chunks
    assert found.chunks("docs", ["c2", "unknown"]) == {"c2": chunks[1]}


def test_the_keyword_index_holds_the_section_names_its_text_lacks(connection: Connection) -> None:
    assert keyword_text("Budget.xlsx > Moons", "Saturn has moons.") == "Budget.xlsx\nSaturn has moons."
    assert keyword_text("", "Saturn") == "Saturn"
    _write(connection, "a.txt", "Saturn", [], [ChunkRecord("c1", "a.txt", 0, 6, None, "Saturn", "Budget.xlsx")])
    assert [record.chunk_id for record, _ in Keywords(connection).search("docs", "budget", 5)] == ["c1"]


def test_lost_and_stray_keyword_rows_are_counted_and_repaired(connection: Connection) -> None:
    chunks = [ChunkRecord(f"c{n}", "a.txt", n, n + 1, None, f"word{n} ferry") for n in range(3)]
    _write(connection, "a.txt", "...", [], chunks)
    index = Keywords(connection)
    with connection.transaction() as db:
        db.execute(f"DELETE FROM {fts_table('docs')} WHERE rowid = 1")
        db.execute(f"INSERT INTO {fts_table('docs')} (rowid, text) VALUES (99, 'stray ferry')")
    assert index.gaps("docs") == (1, 1)
    index.repair("docs")
    assert index.gaps("docs") == (0, 0)
    assert sorted(record.chunk_id for record, _ in index.search("docs", "ferry", 10)) == ["c0", "c1", "c2"]
    assert index.gaps("empty") == (0, 0) and index.search("empty", "ferry", 5) == []


def test_replacing_a_file_is_one_transaction_across_records_keywords_texts_and_journal(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path / "catalog.sqlite3")
    add_texts(catalog, "docs", "a.txt", ["Saturn has rings.", "Titan has lakes."])

    def chunks_then_a_failure() -> Iterator[ChunkRecord]:
        yield ChunkRecord("new-0", "a.txt", 0, 12, None, "Jupiter spot")
        raise OSError("the file vanished while it was read")

    def seen() -> tuple[object, ...]:
        return (
            [(r.source, r.sha256, r.chunk_count) for r in catalog.records.sources("docs")],
            catalog.records.chunk_ids("docs", "a.txt"),
            [record.chunk_id for record, _ in catalog.keywords.search("docs", "Saturn Jupiter", 5)],
            catalog.texts.text_of("docs", "a.txt"),
            catalog.journal.pending("docs"),
        )

    before = seen()
    with pytest.raises(OSError, match="vanished"):
        catalog.replace_source("docs", "a.txt", "new", "Jupiter spot", [], chunks_then_a_failure(), ["a-vector"])
    assert seen() == before
    assert catalog.remove_source("docs", "a.txt", ["a-vector"]) == ["a.txt-0", "a.txt-1"]
    assert seen() == ([], [], [], None, ["a-vector"])
    catalog.close()


def test_the_data_folder_helpers(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(StoreError, match=r"the data folder cannot be created .*; set QA_DATA_DIR to a writable folder"):
        ensure_data_dir(blocker / "data")
    assert catalog_file(tmp_path) == tmp_path / "catalog.sqlite3"
    assert closest_collection("reciepts", ["receipts", "recipes", "reciepts"]) == "receipts"
    assert closest_collection("taxes", ["receipts"]) is None
    (tmp_path / "chats.sqlite3").write_bytes(b"this is not a database, it is text" * 100)
    with pytest.raises(StoreError, match=r"chats\.sqlite3: the saved chats file is unreadable .*move it away"):
        open_data_file(tmp_path, "chats.sqlite3", "CREATE TABLE IF NOT EXISTS t (x)", "saved chats")
    db = open_data_file(tmp_path / "new", "feedback.sqlite3", "CREATE TABLE IF NOT EXISTS t (x)", "feedback")
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",) and db.execute(
        "PRAGMA foreign_keys"
    ).fetchone() == (1,)
    db.close()


def test_an_unreadable_catalog_says_to_move_it_away(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    path.write_bytes(b"this is not a database, it is text" * 100)
    with pytest.raises(
        StoreError, match=r"catalog\.sqlite3: the catalog database is unreadable .*move it away and re-ingest"
    ):
        Catalog(path)
