"""The data folder: creating it, where the catalog file lives in it, the small SQLite files beside it (saved chats,
feedback), and the "did you mean" over the collection names it holds.

Other parts (the vector store, the write lock, chats, the app) import these helpers from here, not the catalog.
"""

from __future__ import annotations

import difflib
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

from assistant.errors import StoreError

# How long opening a data-folder database waits for another process's lock (SQLite's busy timeout).
OPEN_WAIT_S = 30.0


def ensure_data_dir(folder: Path) -> None:
    """Create the data folder, or say which setting to change when that is impossible."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"{folder}: the data folder cannot be created ({exc.strerror}); set QA_DATA_DIR to a writable folder"
        ) from exc


def catalog_file(data_dir: Path) -> Path:
    """Where the catalog of a data folder lives."""
    return data_dir / "catalog.sqlite3"


def busy(exc: sqlite3.DatabaseError) -> bool:
    """Whether SQLite said another connection holds the lock."""
    return getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_BUSY


def write_ahead_log(db: sqlite3.Connection) -> None:
    """Switch the file to WAL. Two processes setting up the same new file at one moment (two ingests started
    together) can make SQLite answer "busy" here before its busy timeout has passed: try again for as long as
    other statements would wait."""
    deadline = time.monotonic() + OPEN_WAIT_S
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if not busy(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def open_data_file(data_dir: Path, name: str, schema: str, what: str) -> sqlite3.Connection:
    """A small SQLite file of the data folder (saved chats, feedback) with its tables made: one connection that
    the threads of the web app share (callers take turns under their own lock), WAL, foreign keys on."""
    ensure_data_dir(data_dir)
    path = data_dir / name
    try:
        db = sqlite3.connect(str(path), timeout=OPEN_WAIT_S, isolation_level=None, check_same_thread=False)
        write_ahead_log(db)
        db.execute("PRAGMA foreign_keys=ON")
        db.executescript(schema)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: the {what} file is unreadable ({exc}); move it away to start afresh") from exc
    return db


def closest_collection(name: str, names: Iterable[str]) -> str | None:
    """The name in ``names`` that ``name`` is probably a typo of, or None: the "did you mean" of the terminal
    and of the app, which must agree."""
    close = difflib.get_close_matches(name, [other for other in names if other != name], n=1, cutoff=0.75)
    return close[0] if close else None
