"""One writer across every app server: an ingest, a removal or a repair holds a PostgreSQL advisory lock.

The lock is held by a session of its own, opened for the block and closed after it: the server releases a
session's advisory locks when it ends, so a writer killed mid-ingest (SIGKILL, a lost machine) never leaves the
store locked. Threads of one process take turns too, each with its own session. The session's
application_name says who holds the lock, for the message of the writer that waits.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from assistant.errors import StoreError
from assistant.index.postgres.connection import connect, redacted

# pg_advisory_lock key of the writer lock (schema.MIGRATION_LOCK is another).
WRITER_LOCK = 0x51A_0002
_POLL_S = 0.2
_NAME_LIMIT = 63  # PostgreSQL cuts application_name there


def _me() -> str:
    command = " ".join(Path(sys.argv[0]).name.split() + sys.argv[1:2])
    return f"pid {os.getpid()} on {socket.gethostname()}, {command}"[:_NAME_LIMIT]


@contextmanager
def advisory_writer_lock(url: str, timeout_s: float, say: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the store's writer lock for the block, waiting up to ``timeout_s`` for another writer (``say`` is
    told once that we wait); StoreError naming the holder when it is still busy after that."""
    session = connect(url)
    try:
        session.execute("SELECT set_config('application_name', %s, false)", (_me(),))
        deadline = time.monotonic() + timeout_s
        told = False
        while not _try(session):
            holder = _holder(session)
            if time.monotonic() >= deadline:
                raise StoreError(
                    f"another writer into {redacted(url)} ({holder or 'another process'}) is still running after "
                    f"{timeout_s:g} s; wait for it to finish, or raise QA_WRITER_TIMEOUT_S"
                )
            if say and not told:
                say(f"waiting for another writer into {redacted(url)} to finish ({holder or 'another process'})...")
                told = True
            time.sleep(_POLL_S)
        yield
    finally:
        session.close()  # ending the session releases the lock


def _try(session: psycopg.Connection[Any]) -> bool:
    row = session.execute("SELECT pg_try_advisory_lock(%s)", (WRITER_LOCK,)).fetchone()
    return bool(row and row[0])


def _holder(session: psycopg.Connection[Any]) -> str:
    """The application_name of the session holding the writer lock, or ''."""
    rows = session.execute(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.objid = %s",
        (WRITER_LOCK,),
    ).fetchall()
    return str(rows[0][0]) if rows else ""
