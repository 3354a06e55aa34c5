"""The ingest record and keyword index, in one SQLite file so that both change in one transaction.

The catalog is the source of truth for what is searchable: a vector in Chroma whose chunk is not
listed here (left by an interrupted ingest) is never shown.
"""

from __future__ import annotations

import bisect
import contextlib
import difflib
import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import DiskFullError, StoreError, no_room
from assistant.faults import checkpoint
from assistant.text import STOPWORDS, words
from assistant.types import ChunkRecord

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
    section TEXT NOT NULL DEFAULT '',
    UNIQUE (collection, chunk_id)
);
CREATE INDEX IF NOT EXISTS chunks_by_source ON chunks (collection, source);
CREATE TABLE IF NOT EXISTS pending_deletes (
    collection TEXT NOT NULL,
    vector_id TEXT NOT NULL,
    PRIMARY KEY (collection, vector_id)
);
"""
# Catalogs written before keyword indexes were per collection kept one table for all collections.
_SHARED_FTS = "chunks_fts"
# About how many rows a keyword query scores. FTS5 computes BM25 for every row that holds any query term,
# so at 100,000 chunks a query with a term found in a third of them ("infection" in COVID papers, "1")
# scored ~60,000 rows: ~45 ms of CPU at p50, ~100 ms at p95. When a query's rows exceed this budget, its
# terms are split into rare ones (the rarest, up to this many rows) and common ones, and only rows with
# a rare term are ranked (see Catalog.keyword_search). Smaller collections are searched as before.
KEYWORD_ROW_BUDGET = 5_000
_ROW_COUNT_CACHE = 20_000
# The keyword text of a chunk row, in SQL (the function is registered per connection).
_KEYWORD_TEXT_SQL = "keyword_text(section, text)"


def keyword_text(section: str, text: str) -> str:
    """What the keyword index holds for a chunk: the parts of its section path its text does not already hold
    (a sheet or deck name, a book title), then its text. A Markdown heading is in the text already; indexed a
    second time it outweighed the body ("What does Russia demand?" found the section "Supply and demand")."""
    lowered = text.lower()
    extra = [part for part in section.split(" > ") if part.strip() and part.strip().lower() not in lowered]
    return "\n".join([*extra, text]) if extra else text


_CHUNK_COLUMNS = 'chunk_id, source, start, "end", page, text, section'


def fts_table(collection: str) -> str:
    """The keyword index of one collection. Each collection has its own, so that another collection's
    documents change neither its BM25 statistics (document counts, average length) nor the cost of a query."""
    return "fts_" + hashlib.sha256(collection.encode()).hexdigest()[:24]


def _has_table(db: sqlite3.Connection, name: str) -> bool:
    return bool(db.execute("SELECT 1 FROM sqlite_master WHERE name=?", (name,)).fetchall())


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


def closest_collection(name: str, names: Iterable[str]) -> str | None:
    """The name in ``names`` that ``name`` is probably a typo of, or None: the "did you mean" of the terminal
    and of the app, which must agree."""
    close = difflib.get_close_matches(name, [other for other in names if other != name], n=1, cutoff=0.75)
    return close[0] if close else None


def open_data_file(data_dir: Path, name: str, schema: str, what: str) -> sqlite3.Connection:
    """A small SQLite file of the data folder (saved chats, feedback) with its tables made: one connection that
    the threads of the web app share (callers take turns under their own lock), WAL, foreign keys on."""
    ensure_data_dir(data_dir)
    path = data_dir / name
    try:
        db = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.executescript(schema)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: the {what} file is unreadable ({exc}); move it away to start afresh") from exc
    return db


def catalog_file(data_dir: Path) -> Path:
    """Where the catalog of a data folder lives."""
    return data_dir / "catalog.sqlite3"


class Catalog:
    """SQLite file with the documents, their chunks and an FTS5 (BM25) index over chunk text."""

    def __init__(self, path: Path) -> None:
        ensure_data_dir(path.parent)
        # One connection shared by the threads of a web app: calls take turns.
        self._lock = threading.RLock()
        # Rows holding each searched phrase, per keyword table: valid until this connection commits
        # (``_commits``) or another one does (SQLite's data_version).
        self._row_counts: dict[tuple[str, str], int] = {}
        self._row_counts_version: tuple[int, int] = (-1, -1)
        self._commits = 0
        self.read_only = False
        try:
            self._db = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
            self._db.create_function("keyword_text", 2, keyword_text, deterministic=True)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
            self._add_section_column()
        except sqlite3.DatabaseError as exc:
            if not no_room(exc):
                raise StoreError(
                    f"{path}: the catalog database is unreadable ({exc}); move it away and re-ingest"
                ) from exc
            self._open_read_only(path, exc)
            return
        try:
            self._split_shared_keyword_index()
        except sqlite3.OperationalError as exc:  # another process held the write lock for the whole timeout
            raise StoreError(
                f"{path}: the catalog is busy in another process ({exc}); try again when it is done"
            ) from exc

    def _open_read_only(self, path: Path, exc: sqlite3.DatabaseError) -> None:
        """Open the catalog for reading only, on a disk too full for SQLite's WAL index: searches and checks go
        on (they see what the last writer committed to the file), and a write says the disk is full."""
        with contextlib.suppress(sqlite3.Error):
            self._db.close()
        try:
            self._db = sqlite3.connect(
                f"file:{path}?immutable=1", uri=True, isolation_level=None, check_same_thread=False
            )
            self._db.create_function("keyword_text", 2, keyword_text, deterministic=True)
            self._db.execute("SELECT count(*) FROM documents").fetchone()
        except sqlite3.DatabaseError:
            raise DiskFullError(
                f"{path}: the catalog cannot be opened, the disk holding the data folder is full ({exc}); free "
                "some space and try again",
                detail=str(exc),
            ) from exc
        self.read_only = True

    def _add_section_column(self) -> None:
        """Catalogs written before chunks had sections (CHUNKER_VERSION < 4) get the column, empty: their
        chunks show no section until their files are re-ingested, which the version change makes happen."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(chunks)").fetchall()}
        if "section" in columns:
            return
        try:
            self._db.execute("ALTER TABLE chunks ADD COLUMN section TEXT NOT NULL DEFAULT ''")
        except sqlite3.OperationalError as exc:
            if "duplicate column" not in str(exc):  # another process added it meanwhile
                raise

    def _split_shared_keyword_index(self) -> None:
        if not _has_table(self._db, _SHARED_FTS):
            return
        with self._transaction() as db:
            # Checked again under the write lock: another process may have split it meanwhile.
            if not _has_table(db, _SHARED_FTS):
                return
            for (collection,) in db.execute("SELECT DISTINCT collection FROM chunks").fetchall():
                table = self._ensure_fts(db, collection)
                db.execute(
                    (
                        f"INSERT INTO {table} (rowid, text) SELECT rowid, {_KEYWORD_TEXT_SQL} FROM chunks WHERE "
                        "collection=?"
                    ),
                    (collection,),
                )
            db.execute(f"DROP TABLE {_SHARED_FTS}")

    @staticmethod
    def _ensure_fts(db: sqlite3.Connection, collection: str) -> str:
        table = fts_table(collection)
        db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING fts5(text, tokenize = 'porter unicode61')")
        return table

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self.read_only:
                raise DiskFullError(
                    "the catalog was opened for reading only, the disk holding the data folder being full; free "
                    "some space and try again",
                    detail="the catalog could not be opened for writing",
                )
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            self._commits += 1

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads in the block see one committed state of the catalog, whatever other processes commit meanwhile."""
        with self._lock:
            if self._db.in_transaction:
                yield
                return
            self._db.execute("BEGIN")
            try:
                yield
            finally:
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

    def collections(self) -> list[tuple[str, int, int]]:
        """(name, documents, chunks) of every collection that holds documents, by name."""
        rows = self._query(
            "SELECT collection, COUNT(*), SUM(chunk_count) FROM documents GROUP BY collection ORDER BY collection"
        )
        return [(str(name), int(documents), int(chunks or 0)) for name, documents, chunks in rows]  # type: ignore[call-overload]

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
        chunks: Iterable[ChunkRecord],
        stale_vectors: Sequence[str] = (),
    ) -> int:
        """Swap a file's record, chunks and keyword entries for new ones, atomically; returns how many chunks
        it has. ``chunks`` may be a generator (a long table's, made as they are written). ``stale_vectors`` (the
        replaced version's vectors) are noted as pending deletion in the same commit, so a crash before
        they are deleted cannot leave them behind for good (see pending_deletes)."""
        count = 0
        with self._transaction() as db:
            self._note_pending(db, collection, stale_vectors)
            table = self._delete_chunks(db, collection, source)
            db.execute(
                "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?, ?, ?)",
                (collection, source, sha256, text, json.dumps(list(page_starts)), 0, time.time()),
            )
            for chunk in chunks:
                count += 1
                cursor = db.execute(
                    (
                        'INSERT INTO chunks (collection, chunk_id, source, start, "end", page, text, section) '
                        "VALUES (?,?,?,?,?,?,?,?)"
                    ),
                    (collection, chunk.chunk_id, source, chunk.start, chunk.end, chunk.page, chunk.text, chunk.section),
                )
                db.execute(
                    f"INSERT INTO {table} (rowid, text) VALUES (?, ?)",
                    (cursor.lastrowid, keyword_text(chunk.section, chunk.text)),
                )
            db.execute(
                "UPDATE documents SET chunk_count=? WHERE collection=? AND source=?", (count, collection, source)
            )
            checkpoint("commit")
        return count

    def remove_source(self, collection: str, source: str, stale_vectors: Sequence[str] = ()) -> list[str]:
        """Forget a file; returns the ids of the chunks it had. ``stale_vectors`` as in replace_source."""
        with self._transaction() as db:
            self._note_pending(db, collection, stale_vectors)
            ids = self.chunk_ids(collection, source)
            self._delete_chunks(db, collection, source)
            db.execute("DELETE FROM documents WHERE collection=? AND source=?", (collection, source))
        return ids

    @staticmethod
    def _note_pending(db: sqlite3.Connection, collection: str, vector_ids: Sequence[str]) -> None:
        db.executemany(
            "INSERT OR IGNORE INTO pending_deletes VALUES (?, ?)", [(collection, vector_id) for vector_id in vector_ids]
        )

    def note_pending(self, collection: str, vector_ids: Sequence[str]) -> None:
        """Note vectors as pending deletion unless a commit lists their chunks (written before an upsert)."""
        with self._transaction() as db:
            self._note_pending(db, collection, vector_ids)

    def pending_deletes(self, collection: str) -> list[str]:
        """Vectors noted for deletion: those of replaced or removed versions, and those of an ingest's batch
        until its files' commits list their chunks (the ingest deletes the rest, see Indexer._delete_pending)."""
        rows = self._query("SELECT vector_id FROM pending_deletes WHERE collection=? ORDER BY vector_id", (collection,))
        return [str(row[0]) for row in rows]

    def clear_pending(self, collection: str, vector_ids: Sequence[str]) -> None:
        """Forget pending deletions that were carried out (or, for listed chunks, are no longer wanted)."""
        with self._transaction() as db:
            db.executemany(
                "DELETE FROM pending_deletes WHERE collection=? AND vector_id=?", [(collection, v) for v in vector_ids]
            )

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

    def collection_chunks(self, collection: str) -> list[ChunkRecord]:
        """Every chunk of a collection, by source and position."""
        rows = self._query(
            f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE collection=? ORDER BY source, start",
            (collection,),
        )
        return [ChunkRecord(*row) for row in rows]  # type: ignore[arg-type]

    def keyword_gaps(self, collection: str) -> tuple[int, int]:
        """(keyword rows without a chunk, chunks without a keyword row) of a collection."""
        table = fts_table(collection)
        with self._lock:
            if not _has_table(self._db, table):
                return 0, int(
                    self._db.execute("SELECT count(*) FROM chunks WHERE collection=?", (collection,)).fetchone()[0]
                )
            stray = self._db.execute(
                f"SELECT count(*) FROM {table} WHERE rowid NOT IN (SELECT rowid FROM chunks WHERE collection=?)",
                (collection,),
            ).fetchone()[0]
            unindexed = self._db.execute(
                f"SELECT count(*) FROM chunks WHERE collection=? AND rowid NOT IN (SELECT rowid FROM {table})",
                (collection,),
            ).fetchone()[0]
        return int(stray), int(unindexed)

    def repair_keywords(self, collection: str) -> None:
        """Delete keyword rows without a chunk and index chunks that have none."""
        with self._transaction() as db:
            table = self._ensure_fts(db, collection)
            db.execute(
                f"DELETE FROM {table} WHERE rowid NOT IN (SELECT rowid FROM chunks WHERE collection=?)", (collection,)
            )
            db.execute(
                f"INSERT INTO {table} (rowid, text) SELECT rowid, {_KEYWORD_TEXT_SQL} FROM chunks "
                f"WHERE collection=? AND rowid NOT IN (SELECT rowid FROM {table})",
                (collection,),
            )

    def document_text(self, collection: str, source: str) -> str | None:
        """The loaded text of a file, which chunk offsets point into."""
        rows = self._query("SELECT text FROM documents WHERE collection=? AND source=?", (collection, source))
        return str(rows[0][0]) if rows else None

    def page_at(self, collection: str, source: str, offset: int) -> int | None:
        """The 1-based page holding character ``offset`` of a file, or None when its format has no pages."""
        rows = self._query("SELECT page_starts FROM documents WHERE collection=? AND source=?", (collection, source))
        starts = json.loads(str(rows[0][0])) if rows else []
        return bisect.bisect_right(starts, offset) if starts else None

    def chunks(self, collection: str, chunk_ids: Sequence[str]) -> dict[str, ChunkRecord]:
        """The recorded chunks among ``chunk_ids``; ids not recorded are left out."""
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        rows = self._query(
            f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE collection=? AND chunk_id IN ({marks})",
            (collection, *chunk_ids),
        )
        return {str(row[0]): ChunkRecord(*row) for row in rows}  # type: ignore[arg-type]

    def keyword_search(
        self, collection: str, query: str, n: int, sources: Sequence[str] | None = None
    ) -> list[tuple[ChunkRecord, float]]:
        """BM25-ranked chunks for the words of ``query``, best first (score: higher is better).

        When the query's terms match more than KEYWORD_ROW_BUDGET rows, they are split into rare and common
        ones (see _split_by_rows) and three smaller searches replace the one over every row: rows with a
        rare and a common term (scored by BM25 over all the terms, a common one by its stem alone), rows by
        the rare terms alone (the exact
        score of a row without a common term, a lower bound for the others) and rows with every common term
        (exact for rows without a rare term). Each row keeps its best score. A row whose score is a lower
        bound and that is missing from the first list scored below that list's n rows, so it cannot push
        out one of them: this is the top n of a full search except for rows that hold some but not all of
        the common terms and no rare one (low-IDF matches). What is never done is scoring every row that
        holds a common term, most of a large collection's rows."""
        terms = sorted({word for word in words(query) if word not in STOPWORDS})
        if not terms:
            return []
        # Prefix queries let 'russia' find 'russian' through the porter-stemmed index.
        phrases = ['"' + term.replace('"', "") + '"' + ("*" if len(term) >= 5 else "") for term in terms]
        table = fts_table(collection)
        with self._lock:
            if not _has_table(self._db, table):
                return []
            rare, common = self._split_by_rows(table, phrases)
            if not rare:
                return []
            if not common:
                rows = self._ranked(table, collection, " OR ".join(rare), n, sources)
            else:
                either = " OR ".join(rare)
                # Common terms match their own stem only: a prefix query merges the lists of every indexed
                # word it starts, which for a common stem ("infect*") costs more than the search it serves.
                common = [phrase.rstrip("*") for phrase in common]
                matches = [f"({either}) AND ({' OR '.join(common)})", either]
                if len(common) > 1:
                    matches.append(" AND ".join(common))
                # Each query gives every row either its exact score or a lower bound; keep each row's best.
                best: dict[object, tuple[object, ...]] = {}
                for match in matches:
                    for row in self._ranked(table, collection, match, n, sources):
                        if row[0] not in best or row[7] < best[row[0]][7]:  # type: ignore[operator]
                            best[row[0]] = row
                rows = sorted(best.values(), key=lambda row: row[7])  # type: ignore[arg-type, return-value]
        return [(ChunkRecord(*row[:7]), -float(row[7])) for row in rows[:n]]  # type: ignore[arg-type]

    def _ranked(
        self, table: str, collection: str, match: str, n: int, sources: Sequence[str] | None
    ) -> list[tuple[object, ...]]:
        """The best n chunk rows for an FTS5 query, with FTS5's rank (lower is better) as the last column."""
        columns = 'c.chunk_id, c.source, c.start, c."end", c.page, c.text, c.section'
        if sources:
            marks = ",".join("?" * len(sources))
            sql = (
                f"SELECT {columns}, bm25({table}) AS rank FROM {table} JOIN chunks c ON c.rowid = {table}.rowid "
                f"WHERE {table} MATCH ? AND c.collection = ? AND c.source IN ({marks}) ORDER BY rank LIMIT ?"
            )
            params: list[object] = [match, collection, *sources, n]
        else:
            # FTS5 ranks and cuts to n by itself; only those n rows are then read from the chunks table.
            sql = (
                f"SELECT {columns}, r.rank FROM (SELECT rowid, rank FROM {table} WHERE {table} MATCH ? "
                f"ORDER BY rank LIMIT ?) r JOIN chunks c ON c.rowid = r.rowid WHERE c.collection = ? ORDER BY r.rank"
            )
            params = [match, n, collection]
        return self._db.execute(sql, params).fetchall()

    def _rows(self, table: str, phrase: str) -> int:
        """How many rows of a keyword table hold a phrase (cached; see _split_by_rows)."""
        key = (table, phrase)
        if key not in self._row_counts:
            self._row_counts[key] = int(
                self._db.execute(f"SELECT count(*) FROM {table} WHERE {table} MATCH ?", (phrase,)).fetchone()[0]
            )
        return self._row_counts[key]

    def _split_by_rows(self, table: str, phrases: Sequence[str]) -> tuple[list[str], list[str]]:
        """The phrases found in some row, as (rare, common): rare are the rarest while the rows they match add
        up to at most KEYWORD_ROW_BUDGET (at least one), common the rest. Row counts are kept until the
        catalog changes."""
        version = (int(self._db.execute("PRAGMA data_version").fetchone()[0]), self._commits)
        if version != self._row_counts_version or len(self._row_counts) > _ROW_COUNT_CACHE:
            self._row_counts.clear()
            self._row_counts_version = version
        counts = {phrase: self._rows(table, phrase) for phrase in phrases}
        found = sorted((p for p in phrases if counts[p]), key=lambda p: (counts[p], p))
        rare: list[str] = []
        rows = 0
        for phrase in found:
            if rare and rows + counts[phrase] > KEYWORD_ROW_BUDGET:
                break
            rare.append(phrase)
            rows += counts[phrase]
        return sorted(rare), sorted(found[len(rare) :])
