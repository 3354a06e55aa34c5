"""The ingest record and keyword index, in one SQLite file so that both change in one transaction.

The catalog is the source of truth for what is searchable: a vector in Chroma whose chunk is not
listed here (left by an interrupted ingest) is never shown.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import StoreError
from assistant.text import STOPWORDS, words

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    collection TEXT NOT NULL,
    source TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    text TEXT NOT NULL,
    page_starts TEXT NOT NULL,
    chunk_count INTEGER NOT NULL,
    ingested_at REAL NOT NULL,
    PRIMARY KEY (collection, source)
);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY,
    collection TEXT NOT NULL,
    chunk_id TEXT NOT NULL,
    source TEXT NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    page INTEGER,
    text TEXT NOT NULL,
    UNIQUE (collection, chunk_id)
);
CREATE INDEX IF NOT EXISTS chunks_by_source ON chunks (collection, source);
"""
# Catalogs written before keyword indexes were per collection kept one table for all collections.
_SHARED_FTS = "chunks_fts"


def _fts_table(collection: str) -> str:
    """The keyword index of one collection. Each collection has its own, so that another collection's
    documents change neither its BM25 statistics (document counts, average length) nor the cost of a query."""
    return "fts_" + hashlib.sha256(collection.encode()).hexdigest()[:24]


def _has_table(db: sqlite3.Connection, name: str) -> bool:
    return bool(db.execute("SELECT 1 FROM sqlite_master WHERE name=?", (name,)).fetchall())


@dataclass(frozen=True)
class ChunkRecord:
    """A piece of a document as stored: ``document_text[start:end] == text``."""

    chunk_id: str
    source: str
    start: int
    end: int
    page: int | None
    text: str


@dataclass(frozen=True)
class SourceRecord:
    """One ingested file."""

    source: str
    sha256: str
    chunk_count: int
    ingested_at: float


def ensure_data_dir(folder: Path) -> None:
    """Create the data folder, or say which setting to change when that is impossible."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"{folder}: the data folder cannot be created ({exc.strerror}); set QA_DATA_DIR to a writable folder"
        ) from exc


class Catalog:
    """SQLite file with the documents, their chunks and an FTS5 (BM25) index over chunk text."""

    def __init__(self, path: Path) -> None:
        ensure_data_dir(path.parent)
        # One connection shared by the threads of a web app: calls take turns.
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path}: the catalog database is unreadable ({exc}); move it away and re-ingest") from exc
        try:
            self._split_shared_keyword_index()
        except sqlite3.OperationalError as exc:  # another process held the write lock for the whole timeout
            raise StoreError(f"{path}: the catalog is busy in another process ({exc}); try again when it is done") from exc

    def _split_shared_keyword_index(self) -> None:
        if not _has_table(self._db, _SHARED_FTS):
            return
        with self._transaction() as db:
            # Checked again under the write lock: another process may have split it meanwhile.
            if not _has_table(db, _SHARED_FTS):
                return
            for (collection,) in db.execute("SELECT DISTINCT collection FROM chunks").fetchall():
                table = self._ensure_fts(db, collection)
                db.execute(f"INSERT INTO {table} (rowid, text) SELECT rowid, text FROM chunks WHERE collection=?", (collection,))
            db.execute(f"DROP TABLE {_SHARED_FTS}")

    @staticmethod
    def _ensure_fts(db: sqlite3.Connection, collection: str) -> str:
        table = _fts_table(collection)
        db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING fts5(text, tokenize = 'porter unicode61')")
        return table

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def source(self, collection: str, source: str) -> SourceRecord | None:
        """The record of one file, or None when it was never ingested."""
        rows = self._query(
            "SELECT source, sha256, chunk_count, ingested_at FROM documents WHERE collection=? AND source=?",
            (collection, source),
        )
        return SourceRecord(*rows[0]) if rows else None  # type: ignore[arg-type]

    def sources(self, collection: str) -> list[SourceRecord]:
        """Every ingested file of a collection, by path."""
        rows = self._query(
            "SELECT source, sha256, chunk_count, ingested_at FROM documents WHERE collection=? ORDER BY source",
            (collection,),
        )
        return [SourceRecord(*row) for row in rows]  # type: ignore[arg-type]

    def chunk_ids(self, collection: str, source: str) -> list[str]:
        """Ids of the chunks currently recorded for a file."""
        rows = self._query("SELECT chunk_id FROM chunks WHERE collection=? AND source=?", (collection, source))
        return [str(row[0]) for row in rows]

    def replace_source(
        self,
        collection: str,
        source: str,
        sha256: str,
        text: str,
        page_starts: Sequence[int],
        chunks: Sequence[ChunkRecord],
    ) -> None:
        """Swap a file's record, chunks and keyword entries for new ones, atomically."""
        with self._transaction() as db:
            table = self._delete_chunks(db, collection, source)
            db.execute(
                "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?, ?, ?)",
                (collection, source, sha256, text, json.dumps(list(page_starts)), len(chunks), time.time()),
            )
            for chunk in chunks:
                cursor = db.execute(
                    'INSERT INTO chunks (collection, chunk_id, source, start, "end", page, text) VALUES (?,?,?,?,?,?,?)',
                    (collection, chunk.chunk_id, source, chunk.start, chunk.end, chunk.page, chunk.text),
                )
                db.execute(f"INSERT INTO {table} (rowid, text) VALUES (?, ?)", (cursor.lastrowid, chunk.text))

    def remove_source(self, collection: str, source: str) -> list[str]:
        """Forget a file; returns the ids of the chunks it had."""
        with self._transaction() as db:
            ids = self.chunk_ids(collection, source)
            self._delete_chunks(db, collection, source)
            db.execute("DELETE FROM documents WHERE collection=? AND source=?", (collection, source))
        return ids

    @classmethod
    def _delete_chunks(cls, db: sqlite3.Connection, collection: str, source: str) -> str:
        """Delete a file's chunks and keyword rows; returns the collection's keyword table (now existing)."""
        table = cls._ensure_fts(db, collection)
        db.execute(
            f"DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM chunks WHERE collection=? AND source=?)",
            (collection, source),
        )
        db.execute("DELETE FROM chunks WHERE collection=? AND source=?", (collection, source))
        return table

    def document_text(self, collection: str, source: str) -> str | None:
        """The loaded text of a file, which chunk offsets point into."""
        rows = self._query("SELECT text FROM documents WHERE collection=? AND source=?", (collection, source))
        return str(rows[0][0]) if rows else None

    def chunks(self, collection: str, chunk_ids: Sequence[str]) -> dict[str, ChunkRecord]:
        """The recorded chunks among ``chunk_ids``; ids not recorded are left out."""
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        rows = self._query(
            f'SELECT chunk_id, source, start, "end", page, text FROM chunks WHERE collection=? AND chunk_id IN ({marks})',
            (collection, *chunk_ids),
        )
        return {str(row[0]): ChunkRecord(*row) for row in rows}  # type: ignore[arg-type]

    def keyword_search(
        self, collection: str, query: str, n: int, sources: Sequence[str] | None = None
    ) -> list[tuple[ChunkRecord, float]]:
        """BM25-ranked chunks for the words of ``query``, best first (score: higher is better)."""
        terms = sorted({word for word in words(query) if word not in STOPWORDS})
        if not terms:
            return []
        # Prefix queries let 'russia' find 'russian' through the porter-stemmed index.
        match = " OR ".join('"' + term.replace('"', "") + '"' + ("*" if len(term) >= 5 else "") for term in terms)
        table = _fts_table(collection)
        with self._lock:
            if not _has_table(self._db, table):
                return []
        sql = (
            f'SELECT c.chunk_id, c.source, c.start, c."end", c.page, c.text, bm25({table}) AS rank '
            f"FROM {table} JOIN chunks c ON c.rowid = {table}.rowid "
            f"WHERE {table} MATCH ? AND c.collection = ?"
        )
        params: list[object] = [match, collection]
        if sources:
            sql += f" AND c.source IN ({','.join('?' * len(sources))})"
            params.extend(sources)
        sql += " ORDER BY rank LIMIT ?"
        params.append(n)
        return [(ChunkRecord(*row[:6]), -float(row[6])) for row in self._query(sql, params)]  # type: ignore[arg-type]
