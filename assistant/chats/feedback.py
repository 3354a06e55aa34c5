"""Users' verdicts on answers (thumbs, a correction: a short answer and a note), kept with everything needed to
replay the question: the question, the prior turns, the answer with its citations, and the settings used. Kept in a
SQLite file of the data folder (`FeedbackStore.in_folder`) or in the server state database (PostgreSQL)."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import StoreError
from assistant.index.connection import Connection, Database
from assistant.index.folder import open_data_file
from assistant.settings import Settings, dump_settings, read_settings_dump

FILE_NAME = "feedback.sqlite3"
# Settings that say how an answer was made; secrets and paths of this machine are left out.
SETTINGS_KEPT = (
    "collection",
    "answerer",
    "k",
    "embedder",
    "fusion",
    "dense_weight",
    "candidates",
    "chunk_size",
    "chunk_overlap",
    "min_relevance",
    "min_term_coverage",
    "llm_model",
    "llm_excerpt_chars",
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    conversation_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    rating INTEGER,
    correction TEXT,
    unanswerable INTEGER NOT NULL DEFAULT 0,
    question TEXT NOT NULL,
    history TEXT NOT NULL,
    answer TEXT NOT NULL,
    settings TEXT NOT NULL,
    updated_at REAL NOT NULL,
    note TEXT,
    PRIMARY KEY (conversation_id, position)
);
"""
# Every column, in the order rows are written and read (a file made before notes gets the column added).
_COLUMN_NAMES = (
    "conversation_id",
    "position",
    "rating",
    "correction",
    "unanswerable",
    "question",
    "history",
    "answer",
    "settings",
    "updated_at",
    "note",
)
_COLUMNS = ", ".join(_COLUMN_NAMES)
# What a thumb (``keep_correction``) and a correction (``keep_rating``) leave as the row had them.
_RATING = ("rating",)
_CORRECTION = ("correction", "note", "unanswerable")


@dataclass(frozen=True)
class Feedback:
    """What a user said about one answer. ``rating``: 1 up, 0 down, None not rated; ``correction``: the right
    answer in a few words (what an evaluation scores); ``note``: anything else the user wanted to say about it."""

    conversation_id: str
    position: int
    rating: int | None
    correction: str | None
    unanswerable: bool
    question: str
    history: list[dict[str, str]]
    answer: dict[str, Any]
    settings: dict[str, Any]  # by flat name ("k", "llm_model"), whichever settings_version saved the row
    updated_at: float
    note: str | None = None

    @property
    def corrected(self) -> bool:
        """True when the user said what the right answer is (or that the documents do not answer it)."""
        return bool((self.correction or "").strip()) or self.unanswerable


def settings_snapshot(settings: Settings) -> dict[str, Any]:
    """The settings an answer was made with, as plain JSON values by group, with their "settings_version"."""
    return dump_settings(settings, only=SETTINGS_KEPT)


class FeedbackStore:
    """One row per rated answer (conversation, message position) in ``database`` (whose tables exist), shared
    with the other parts of the process; saving again updates the row."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._owns_database = False

    @classmethod
    def in_folder(cls, data_dir: Path) -> FeedbackStore:
        """The feedback of a data folder (its feedback.sqlite3, made when missing; a file from before notes gets
        the column); closing the store closes the file."""
        db = open_data_file(data_dir, FILE_NAME, _SCHEMA, "feedback")
        _add_note_column(db)
        store = cls(Connection(db))
        store._owns_database = True
        return store

    def save(
        self,
        *,
        conversation_id: str,
        position: int,
        question: str,
        history: list[dict[str, str]],
        answer: dict[str, Any],
        settings: dict[str, Any],
        rating: int | None = None,
        correction: str | None = None,
        note: str | None = None,
        unanswerable: bool = False,
        keep_rating: bool = False,
        keep_correction: bool = False,
    ) -> Feedback:
        """Store or update the feedback on one answer. ``keep_rating`` leaves an earlier thumb as it was, and
        ``keep_correction`` an earlier correction (with its note and 'unanswerable'): a thumb and a correction
        are saved apart, and one saved on another server at the same moment is not lost."""
        kept = (_RATING if keep_rating else ()) + (_CORRECTION if keep_correction else ())
        # The row's own values where kept, decided by the database in the write itself (no read first to race).
        updates = ", ".join(
            f"{name} = feedback.{name}" if name in kept else f"{name} = excluded.{name}" for name in _COLUMN_NAMES[2:]
        )
        values = (
            conversation_id,
            position,
            rating,
            " ".join((correction or "").split()) or None,
            int(unanswerable),
            question,
            json.dumps(history),
            json.dumps(answer),
            json.dumps(settings),
            time.time(),
            (note or "").strip() or None,
        )
        placeholders = ", ".join("?" for _ in _COLUMN_NAMES)
        with self._db.transaction() as db:
            db.execute(
                f"INSERT INTO feedback ({_COLUMNS}) VALUES ({placeholders}) "
                f"ON CONFLICT (conversation_id, position) DO UPDATE SET {updates}",
                values,
            )
            row = db.execute(
                f"SELECT {_COLUMNS} FROM feedback WHERE conversation_id=? AND position=?", (conversation_id, position)
            ).fetchone()
        return _feedback(row)

    def get(self, conversation_id: str, position: int) -> Feedback | None:
        """The feedback on one answer, or None."""
        rows = self._rows("WHERE conversation_id=? AND position=?", (conversation_id, position))
        return rows[0] if rows else None

    def all(self) -> list[Feedback]:
        """Every piece of feedback, oldest first."""
        return self._rows("ORDER BY updated_at, conversation_id, position", ())

    def corrected(self) -> list[Feedback]:
        """The feedback that says what the right answer is: the material of a gold set."""
        return [item for item in self.all() if item.corrected]

    def _rows(self, where: str, params: tuple[Any, ...]) -> list[Feedback]:
        return [_feedback(row) for row in self._db.query(f"SELECT {_COLUMNS} FROM feedback {where}", params)]

    def close(self) -> None:
        """Close the SQLite file of a store opened with `in_folder`; a shared database stays open for its owner."""
        if self._owns_database:
            self._db.close()


def _feedback(row: tuple[Any, ...]) -> Feedback:
    return Feedback(
        row[0],
        row[1],
        row[2],
        row[3],
        bool(row[4]),
        row[5],
        json.loads(row[6]),
        json.loads(row[7]),
        read_settings_dump(json.loads(row[8])),
        row[9],
        row[10],
    )


def _add_note_column(db: sqlite3.Connection) -> None:
    """A feedback file from before notes gets the column; its rows stay as they were, with no note."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(feedback)").fetchall()}
    if "note" in columns:
        return
    try:
        db.execute("ALTER TABLE feedback ADD COLUMN note TEXT")
    except sqlite3.OperationalError as exc:
        if "duplicate column" not in str(exc):  # another process added it first: nothing to do
            raise StoreError(f"the feedback file could not be updated for notes ({exc})") from exc
