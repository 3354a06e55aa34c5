"""The one PostgreSQL connection of a process's state store, shared by its parts and by the threads of a web app
the way the SQLite catalog's connection is (assistant/index/connection.py): calls take turns under one lock, and
a write is one transaction whatever parts it touches.

SQL is written once, with ``?`` placeholders as for SQLite; ``?`` becomes psycopg's ``%s`` here (a literal ``%``
is doubled first), so the read-side parts (records, texts) run unchanged on either database.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

import psycopg
from psycopg import pq
from psycopg.conninfo import conninfo_to_dict

from assistant.errors import StoreError

CONNECT_TIMEOUT_S = 10
_PLAIN = re.compile(r"[A-Za-z0-9._-]*")
_UNSHOWN = "the database of QA_DATABASE_URL"


def redacted(url: str) -> str:
    """The database a URL names, for messages and logs: user, host, port and database name only, never the
    password (wherever it is written); when those cannot be told apart safely, only the setting's name."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.Error:
        return _UNSHOWN
    user, host, port, name = (str(parts.get(key, "")) for key in ("user", "host", "port", "dbname"))
    if not all(_PLAIN.fullmatch(field) for field in (user, host, port, name)):
        return _UNSHOWN  # a password with '/' or '@' unescaped shifts every part: show none of them
    return "postgresql://" + (f"{user}@" if user else "") + host + (f":{port}" if port else "") + f"/{name}"


def pg_sql(sql: str) -> str:
    """SQLite-style SQL with ``?`` placeholders as psycopg SQL (``%s``)."""
    return sql.replace("%", "%%").replace("?", "%s")


def check_url(url: str) -> str:
    """The URL when it names a PostgreSQL database, else a StoreError saying what QA_DATABASE_URL should be."""
    if not re.match(r"postgres(ql)?://", url):
        raise StoreError(
            "QA_DATABASE_URL is not a PostgreSQL URL (it starts with postgresql://); use e.g. "
            "postgresql://qa:PASSWORD@127.0.0.1:5432/qa, or unset it to keep the state in the data folder"
        )
    return url


def connect(url: str) -> psycopg.Connection[Any]:
    """An autocommit connection to ``url``, or a StoreError naming the server and what to do."""
    try:
        return psycopg.connect(check_url(url), autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg.Error as exc:
        raise refused(url, exc) from exc


def refused(url: str, exc: psycopg.Error) -> StoreError:
    """Why a connection to ``url`` failed, and the fix, in words."""
    reason = " ".join(str(exc).split())
    where = redacted(url)
    if "password authentication failed" in reason or "no password supplied" in reason:
        return StoreError(f"PostgreSQL at {where} refused the user or password; fix them in QA_DATABASE_URL")
    if "does not exist" in reason and "database" in reason:
        return StoreError(
            f"{where}: no such database on that PostgreSQL server; create it (CREATE DATABASE ... OWNER ...) or "
            "fix its name in QA_DATABASE_URL"
        )
    return StoreError(f"cannot reach the PostgreSQL server at {where} ({reason}); start it, or check QA_DATABASE_URL")


def ping(url: str, timeout_s: float) -> str:
    """One line saying the server at ``url`` answers, or a StoreError saying it does not."""
    try:
        with psycopg.connect(check_url(url), autocommit=True, connect_timeout=max(1, int(timeout_s))) as session:
            row = session.execute("SHOW server_version").fetchone()
    except psycopg.Error as exc:
        raise refused(url, exc) from exc
    return f"PostgreSQL {row[0] if row else ''} at {redacted(url)}"


class Writer:
    """What a transaction's block writes through: ``?`` SQL on the transaction's cursor."""

    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        self.cursor = cursor

    def execute(self, sql: str, params: Sequence[object] | None = None) -> psycopg.Cursor[Any]:
        return self.cursor.execute(pg_sql(sql) if params is not None else sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        self.cursor.executemany(pg_sql(sql), list(rows))


class PgConnection:
    """A state store's connection: reads under the lock, writes in a transaction, a snapshot for several reads.
    A connection the server dropped (a restart) is opened again on the next call outside a transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.db = connect(url)
        self.lock = threading.RLock()
        self.read_only = False  # the SQLite catalog's full-disk mode; a server reports its own errors
        self.commits = 0

    def close(self) -> None:
        """Close the connection."""
        with self.lock:
            self.db.close()

    def _usable(self) -> psycopg.Connection[Any]:
        if self.db.closed or self.db.info.transaction_status == pq.TransactionStatus.UNKNOWN:
            self.db = connect(self.url)
        return self.db

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """The rows of one read. A read outside a transaction on a connection the server dropped (a restart,
        a failover) is tried once more on a new one."""
        with self.lock:
            db = self._usable()
            idle = db.info.transaction_status == pq.TransactionStatus.IDLE
            try:
                return self._read(db, sql, params)
            except psycopg.OperationalError as exc:
                if not (idle and db.closed):
                    raise self._failed(exc) from exc
            try:
                return self._read(self._usable(), sql, params)
            except psycopg.OperationalError as exc:
                raise self._failed(exc) from exc

    @staticmethod
    def _read(db: psycopg.Connection[Any], sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
        return db.execute(pg_sql(sql) if params else sql, params or None).fetchall()

    @contextmanager
    def _begun(self) -> Iterator[psycopg.Connection[Any]]:
        """A transaction on a live connection: one the server dropped (a restart, a failover) is replaced when
        its BEGIN fails, before anything of the block has run. Server failures become StoreErrors."""
        try:
            with ExitStack() as stack:
                db = self._usable()
                try:
                    stack.enter_context(db.transaction())
                except psycopg.OperationalError:
                    if not db.closed:
                        raise
                    db = self._usable()
                    stack.enter_context(db.transaction())
                yield db
        except psycopg.OperationalError as exc:
            raise self._failed(exc) from exc

    @contextmanager
    def transaction(self) -> Iterator[Writer]:
        """A write: committed when the block ends, rolled back when it raises."""
        with self.lock:
            with self._begun() as db, db.cursor() as cursor:
                yield Writer(cursor)
            self.commits += 1

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads in the block see one committed state, whatever other servers commit meanwhile."""
        with self.lock:
            if self._usable().info.transaction_status != pq.TransactionStatus.IDLE:
                yield
                return
            with self._begun() as db:
                db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                yield

    def _failed(self, exc: psycopg.Error) -> StoreError:
        return StoreError(
            f"the PostgreSQL server at {redacted(self.url)} failed ({str(exc).strip()}); check that it runs and "
            "try again"
        )
