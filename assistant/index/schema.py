"""The tables of the catalog file and the migrations that bring a file from any earlier version up to date.

Each migration is a function, applied in the order of MIGRATIONS when the catalog opens; the names of those
applied are recorded in the ``schema_migrations`` table, so a file is migrated once. Files written before that
table existed record nothing: the first migrations therefore check what is already there (a table, a column)
and are harmless on a file that has it. A new migration goes at the end of the list and may assume all the
earlier ones have run.

The keyword index is one FTS5 table per collection (see fts_table), made when the collection gets its first
document. Connections that run migrations must provide the SQL function KEYWORD_TEXT (registered by
assistant.index.keywords.register).
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Callable

# The SQL function that gives a chunk row's keyword text (see assistant.index.keywords.keyword_text).
KEYWORD_TEXT = "keyword_text"
KEYWORD_TEXT_SQL = f"{KEYWORD_TEXT}(section, text)"
# Catalogs written before keyword indexes were per collection kept one table for all collections.
_SHARED_FTS = "chunks_fts"
_VERSIONS = "schema_migrations"


def fts_table(collection: str) -> str:
    """The keyword index of one collection. Each collection has its own, so that another collection's
    documents change neither its BM25 statistics (document counts, average length) nor the cost of a query."""
    return "fts_" + hashlib.sha256(collection.encode()).hexdigest()[:24]


def ensure_fts(db: sqlite3.Connection, collection: str) -> str:
    """Make a collection's keyword table unless it exists; returns its name."""
    table = fts_table(collection)
    db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING fts5(text, tokenize = 'porter unicode61')")
    return table


def has_table(db: sqlite3.Connection, name: str) -> bool:
    """Whether the file holds a table (or index) of that name."""
    return bool(db.execute("SELECT 1 FROM sqlite_master WHERE name=?", (name,)).fetchall())


def _tables(db: sqlite3.Connection) -> None:
    """The documents (a file's record, text and page starts), their chunks, and the pending-delete journal."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS documents (
    collection TEXT NOT NULL,
    source TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    text TEXT NOT NULL,
    page_starts TEXT NOT NULL,
    chunk_count INTEGER NOT NULL,
    ingested_at REAL NOT NULL,
    PRIMARY KEY (collection, source)
)"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS chunks (
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
)"""
    )
    db.execute("CREATE INDEX IF NOT EXISTS chunks_by_source ON chunks (collection, source)")
    db.execute(
        """CREATE TABLE IF NOT EXISTS pending_deletes (
    collection TEXT NOT NULL,
    vector_id TEXT NOT NULL,
    PRIMARY KEY (collection, vector_id)
)"""
    )


def _section_column(db: sqlite3.Connection) -> None:
    """Catalogs written before chunks had sections (CHUNKER_VERSION < 4) get the column, empty: their chunks
    show no section until their files are re-ingested, which the version change makes happen."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(chunks)").fetchall()}
    if "section" not in columns:
        db.execute("ALTER TABLE chunks ADD COLUMN section TEXT NOT NULL DEFAULT ''")


def _keyword_index_per_collection(db: sqlite3.Connection) -> None:
    """Catalogs with one keyword table for all collections get one per collection, filled from their chunks."""
    if not has_table(db, _SHARED_FTS):
        return
    for (collection,) in db.execute("SELECT DISTINCT collection FROM chunks").fetchall():
        table = ensure_fts(db, collection)
        db.execute(
            f"INSERT INTO {table} (rowid, text) SELECT rowid, {KEYWORD_TEXT_SQL} FROM chunks WHERE collection=?",
            (collection,),
        )
    db.execute(f"DROP TABLE {_SHARED_FTS}")


# In the order they are applied; a name, once released, never changes (it is recorded in the files).
MIGRATIONS: tuple[tuple[str, Callable[[sqlite3.Connection], None]], ...] = (
    ("tables", _tables),
    ("section_column", _section_column),
    ("keyword_index_per_collection", _keyword_index_per_collection),
)


def applied(db: sqlite3.Connection) -> list[str]:
    """The names of the migrations recorded in the file, in the order they were applied."""
    if not has_table(db, _VERSIONS):
        return []
    return [str(row[0]) for row in db.execute(f"SELECT name FROM {_VERSIONS} ORDER BY rowid").fetchall()]


def migrate(db: sqlite3.Connection) -> None:
    """Apply the migrations the file has not had, in one transaction, and record them. A file already up to date
    is only read. Another process opening the same file at the same time waits for the write lock, then finds
    the migrations done (they are checked again under the lock)."""
    if {name for name, _ in MIGRATIONS} <= set(applied(db)):
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute(f"CREATE TABLE IF NOT EXISTS {_VERSIONS} (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)")
        done = set(applied(db))
        for name, migration in MIGRATIONS:
            if name not in done:
                migration(db)
                db.execute(f"INSERT INTO {_VERSIONS} VALUES (?, ?)", (name, time.time()))
    except BaseException:
        if db.in_transaction:  # an error such as a full disk may have rolled it back already
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
