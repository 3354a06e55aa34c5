"""The catalog: one SQLite file holding the ingest record, the pending-delete journal, the keyword index and the
documents' text, so that what one ingest changes in them is one transaction.

Each job has its module; Catalog opens the file and composes them:

- schema.py: the tables and the migrations run on open (a file from any earlier version is brought up to date)
- records.py: ``catalog.records``, which files and chunks a collection holds (the source of truth for what is
  searchable: a vector in Chroma whose chunk is not listed here is never shown)
- journal.py: ``catalog.journal``, vectors noted for deletion from the store
- keywords.py: ``catalog.keywords``, the FTS5 keyword index of each collection and its BM25 search
- texts.py: ``catalog.texts``, each file's loaded text and its page starts
- connection.py: the one connection they share (a lock, transactions, snapshots)

The two writes that span the parts, replacing and removing a file, are here.

CatalogStore is what the rest of the code sees: this SQLite catalog, or the PostgreSQL one of a server state
store (assistant/index/postgres/catalog.py), chosen by the composition root (assistant/app/compose.py).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

from assistant.errors import DiskFullError, StoreError, no_room
from assistant.faults import checkpoint
from assistant.index import keywords, records
from assistant.index.connection import Connection
from assistant.index.folder import OPEN_WAIT_S, busy, ensure_data_dir, write_ahead_log
from assistant.index.journal import Journal, write_pending
from assistant.index.keywords import Keywords
from assistant.index.locking import writer_lock
from assistant.index.records import Records
from assistant.index.schema import migrate
from assistant.index.texts import Texts
from assistant.types import ChunkRecord


class KeywordIndex(Protocol):
    """BM25 search over a collection's chunks, and the check and repair of its rows (SQLite FTS5 or PostgreSQL)."""

    def search(
        self, collection: str, query: str, n: int, sources: Sequence[str] | None = None
    ) -> list[tuple[ChunkRecord, float]]: ...

    def gaps(self, collection: str) -> tuple[int, int]: ...

    def repair(self, collection: str) -> None: ...


class CatalogStore(Protocol):
    """A catalog as the ingest, the search and the checks use it, whichever database holds it."""

    @property
    def records(self) -> Records: ...

    @property
    def journal(self) -> Journal: ...

    @property
    def keywords(self) -> KeywordIndex: ...

    @property
    def texts(self) -> Texts: ...

    @property
    def read_only(self) -> bool: ...

    def close(self) -> None: ...

    def snapshot(self) -> AbstractContextManager[None]: ...

    def writer_lock(
        self, timeout_s: float, say: Callable[[str], None] | None = None
    ) -> AbstractContextManager[None]: ...

    def replace_source(
        self,
        collection: str,
        source: str,
        sha256: str,
        text: str,
        page_starts: Sequence[int],
        chunks: Iterable[ChunkRecord],
        stale_vectors: Sequence[str] = (),
    ) -> int: ...

    def remove_source(self, collection: str, source: str, stale_vectors: Sequence[str] = ()) -> list[str]: ...


def copy_documents(source: CatalogStore, target: CatalogStore, collection: str) -> list[str]:
    """Copy every document of a collection (record, text, pages, chunks; the target makes its keyword rows) from
    one catalog into another, each file in its own write; returns the sources copied. Vectors are not copied."""
    by_source: dict[str, list[ChunkRecord]] = {}
    for chunk in source.records.collection_chunks(collection):
        by_source.setdefault(chunk.source, []).append(chunk)
    copied = []
    for record in source.records.sources(collection):
        text = source.texts.text_of(collection, record.source) or ""
        pages = source.texts.page_starts(collection, record.source)
        chunks = by_source.get(record.source, [])
        target.replace_source(collection, record.source, record.sha256, text, pages, chunks)
        copied.append(record.source)
    return copied


class Catalog:
    """The catalog file of a data folder: its records, journal, keyword index and texts over one connection."""

    def __init__(self, path: Path) -> None:
        ensure_data_dir(path.parent)
        self._folder = path.parent
        self._connection = _open(path)
        self.records = Records(self._connection)
        self.journal = Journal(self._connection)
        self.keywords = Keywords(self._connection)
        self.texts = Texts(self._connection)

    @property
    def read_only(self) -> bool:
        """Whether the file was opened for reading only, the disk being full: a write raises DiskFullError."""
        return self._connection.read_only

    def close(self) -> None:
        """Close the database connection."""
        self._connection.close()

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads in the block see one committed state of the catalog, whatever other processes commit meanwhile."""
        with self._connection.snapshot():
            yield

    def writer_lock(self, timeout_s: float, say: Callable[[str], None] | None = None) -> AbstractContextManager[None]:
        """The one-writer lock of the data folder (a file lock beside the catalog, see locking.py)."""
        return writer_lock(self._folder, timeout_s, say)

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
        """Swap a file's record, chunks, keyword rows and text for new ones, atomically; returns how many chunks
        it has. ``chunks`` may be a generator (a long table's, made as they are written). ``stale_vectors`` (the
        replaced version's vectors) are noted in the journal in the same commit, so a crash before they are
        deleted cannot leave them behind for good."""
        count = 0
        with self._connection.transaction() as db:
            write_pending(db, collection, stale_vectors)
            table = keywords.delete_rows(db, collection, source)
            records.delete_chunks(db, collection, source)
            records.write_document(db, collection, source, sha256, text, page_starts)
            for chunk in chunks:
                count += 1
                keywords.write_row(db, table, records.write_chunk(db, collection, source, chunk), chunk)
            records.write_chunk_count(db, collection, source, count)
            checkpoint("commit")
        return count

    def remove_source(self, collection: str, source: str, stale_vectors: Sequence[str] = ()) -> list[str]:
        """Forget a file; returns the ids of the chunks it had. ``stale_vectors`` as in replace_source."""
        with self._connection.transaction() as db:
            write_pending(db, collection, stale_vectors)
            ids = self.records.chunk_ids(collection, source)
            keywords.delete_rows(db, collection, source)
            records.delete_chunks(db, collection, source)
            records.delete_document(db, collection, source)
        return ids


def _open(path: Path) -> Connection:
    """A connection to the catalog file, its schema up to date; read-only on a disk too full to write."""
    db: sqlite3.Connection | None = None
    try:
        db = sqlite3.connect(str(path), timeout=OPEN_WAIT_S, isolation_level=None, check_same_thread=False)
        keywords.register(db)
        write_ahead_log(db)
        migrate(db)
    except sqlite3.DatabaseError as exc:
        if db is not None:
            with contextlib.suppress(sqlite3.Error):
                db.close()
        if no_room(exc):
            return _open_read_only(path, exc)
        if busy(exc):  # another process held the write lock throughout
            raise StoreError(
                f"{path}: the catalog is busy in another process ({exc}); try again when it is done"
            ) from exc
        raise StoreError(f"{path}: the catalog database is unreadable ({exc}); move it away and re-ingest") from exc
    return Connection(db)


def _open_read_only(path: Path, exc: sqlite3.DatabaseError) -> Connection:
    """Open the catalog for reading only, on a disk too full for SQLite's WAL index: searches and checks go on
    (they see what the last writer committed to the file), and a write says the disk is full."""
    try:
        db = sqlite3.connect(f"file:{path}?immutable=1", uri=True, isolation_level=None, check_same_thread=False)
        keywords.register(db)
        db.execute("SELECT count(*) FROM documents").fetchone()
    except sqlite3.DatabaseError:
        raise DiskFullError(
            f"{path}: the catalog cannot be opened, the disk holding the data folder is full ({exc}); free "
            "some space and try again",
            detail=str(exc),
        ) from exc
    return Connection(db, read_only=True)
