"""The ingest record: which files a collection holds (hash, chunk count, when) and their chunks.

The catalog is the source of truth for what is searchable: a vector in Chroma whose chunk is not listed here
(left by an interrupted ingest) is never shown. Records reads; the write functions below run inside a
transaction of the catalog (Catalog.replace_source, Catalog.remove_source), with the keyword rows and the
document text of the same file. Their SQL runs on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.index.connection import Cursor, Database
from assistant.types import ChunkRecord

_CHUNK_COLUMNS = 'chunk_id, source, start, "end", page, text, section'


@dataclass(frozen=True)
class SourceRecord:
    """One ingested file."""

    source: str
    sha256: str
    chunk_count: int
    ingested_at: float


class Records:
    """What the catalog says was ingested: files and chunks, per collection."""

    def __init__(self, connection: Database) -> None:
        self._connection = connection

    def source(self, collection: str, source: str) -> SourceRecord | None:
        """The record of one file, or None when it was never ingested."""
        rows = self._connection.query(
            "SELECT source, sha256, chunk_count, ingested_at FROM documents WHERE collection=? AND source=?",
            (collection, source),
        )
        return SourceRecord(*rows[0]) if rows else None

    def sources(self, collection: str) -> list[SourceRecord]:
        """Every ingested file of a collection, by path."""
        rows = self._connection.query(
            "SELECT source, sha256, chunk_count, ingested_at FROM documents WHERE collection=? ORDER BY source",
            (collection,),
        )
        return [SourceRecord(*row) for row in rows]

    def collections(self) -> list[tuple[str, int, int]]:
        """(name, documents, chunks) of every collection that holds documents, by name."""
        rows = self._connection.query(
            "SELECT collection, COUNT(*), SUM(chunk_count) FROM documents GROUP BY collection ORDER BY collection"
        )
        return [(str(name), int(documents), int(chunks or 0)) for name, documents, chunks in rows]

    def chunk_ids(self, collection: str, source: str) -> list[str]:
        """Ids of the chunks currently recorded for a file."""
        rows = self._connection.query(
            "SELECT chunk_id FROM chunks WHERE collection=? AND source=?", (collection, source)
        )
        return [str(row[0]) for row in rows]

    def collection_chunks(self, collection: str) -> list[ChunkRecord]:
        """Every chunk of a collection, by source and position."""
        rows = self._connection.query(
            f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE collection=? ORDER BY source, start",
            (collection,),
        )
        return [ChunkRecord(*row) for row in rows]

    def chunks(self, collection: str, chunk_ids: Sequence[str]) -> dict[str, ChunkRecord]:
        """The recorded chunks among ``chunk_ids``; ids not recorded are left out."""
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        rows = self._connection.query(
            f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE collection=? AND chunk_id IN ({marks})",
            (collection, *chunk_ids),
        )
        return {str(row[0]): ChunkRecord(*row) for row in rows}


def write_document(
    db: Cursor, collection: str, source: str, sha256: str, text: str, page_starts: Sequence[int]
) -> None:
    """Record a file (its text and page starts with it, see texts.py), with no chunks counted yet."""
    db.execute(
        "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (collection, source) DO UPDATE SET "
        "sha256 = excluded.sha256, text = excluded.text, page_starts = excluded.page_starts, "
        "chunk_count = excluded.chunk_count, ingested_at = excluded.ingested_at",
        (collection, source, sha256, text, json.dumps(list(page_starts)), 0, time.time()),
    )


def write_chunk(db: Cursor, collection: str, source: str, chunk: ChunkRecord) -> int:
    """Record one chunk of a file; returns its row id (the keyword index's row id for it)."""
    row = db.execute(
        'INSERT INTO chunks (collection, chunk_id, source, start, "end", page, text, section) VALUES (?,?,?,?,?,?,?,?) '
        "RETURNING rowid",
        (collection, chunk.chunk_id, source, chunk.start, chunk.end, chunk.page, chunk.text, chunk.section),
    ).fetchone()
    return int(row[0])


def write_chunk_count(db: Cursor, collection: str, source: str, count: int) -> None:
    """Record how many chunks a file has, once they are all written."""
    db.execute("UPDATE documents SET chunk_count=? WHERE collection=? AND source=?", (count, collection, source))


def delete_chunks(db: Cursor, collection: str, source: str) -> None:
    """Forget a file's chunks (delete its keyword rows first: they are found through these rows)."""
    db.execute("DELETE FROM chunks WHERE collection=? AND source=?", (collection, source))


def delete_document(db: Cursor, collection: str, source: str) -> None:
    """Forget a file's record (and with it its text)."""
    db.execute("DELETE FROM documents WHERE collection=? AND source=?", (collection, source))
