"""The one SQLite connection of a catalog, shared by its parts (records, journal, keywords, texts) and by the
threads of a web app: calls take turns under one lock, and a write is one transaction whatever parts it touches."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

from assistant.errors import DiskFullError


class Cursor(Protocol):
    """What a transaction's block writes through (a sqlite3 connection, or the PostgreSQL Writer)."""

    def execute(self, sql: str, params: Sequence[Any] = ..., /) -> Any: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> Any: ...


class Database(Protocol):
    """A state database as its parts use it, SQLite (Connection) or PostgreSQL (postgres.connection.PgConnection):
    SQL with ``?`` placeholders, reads under a lock, writes in a transaction."""

    lock: threading.RLock
    read_only: bool
    commits: int

    def query(self, sql: str, params: Sequence[object] = ...) -> list[tuple[Any, ...]]: ...

    def transaction(self) -> AbstractContextManager[Cursor]: ...

    def snapshot(self) -> AbstractContextManager[None]: ...

    def close(self) -> None: ...


class Connection:
    """A catalog's connection: reads under the lock, writes in a transaction, a snapshot for several reads."""

    def __init__(self, db: sqlite3.Connection, *, read_only: bool = False) -> None:
        self.db = db
        # One connection shared by the threads of a web app: calls take turns.
        self.lock = threading.RLock()
        # Opened on a disk too full for SQLite's WAL index: reads go on, a write says the disk is full.
        self.read_only = read_only
        # Commits made through this connection (another connection's show in PRAGMA data_version).
        self.commits = 0

    def close(self) -> None:
        """Close the database connection."""
        with self.lock:
            self.db.close()

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        """The rows of one read."""
        with self.lock:
            return self.db.execute(sql, params).fetchall()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write: committed when the block ends, rolled back when it raises."""
        with self.lock:
            if self.read_only:
                raise DiskFullError(
                    "the catalog was opened for reading only, the disk holding the data folder being full; free "
                    "some space and try again",
                    detail="the catalog could not be opened for writing",
                )
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")
            self.commits += 1

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads in the block see one committed state of the catalog, whatever other processes commit meanwhile."""
        with self.lock:
            if self.db.in_transaction:
                yield
                return
            self.db.execute("BEGIN")
            try:
                yield
            finally:
                self.db.execute("COMMIT")
