"""Saved conversations, so chats survive reloads and restarts: in a SQLite file of the data folder
(`ConversationStore.in_folder`), or in the server state database several app servers share (PostgreSQL), where a
conversation started on one server continues on another.

Each message keeps the full Answer JSON it was shown with, so a reopened chat shows the same citations.
"""

from __future__ import annotations

import builtins
import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import InputError
from assistant.index.connection import Connection, Cursor, Database
from assistant.index.folder import open_data_file

FILE_NAME = "conversations.sqlite3"
MAX_TITLE = 120
DEFAULT_TITLE = "Untitled chat"

# The tables of the SQLite file; the PostgreSQL ones are made by assistant/index/postgres/schema.py. A create
# first writes its row of conversation_locks: on PostgreSQL that row stays locked until the create commits, so two
# servers creating chats at once take turns and never hand out one title twice (SQLite's writes take turns anyway).
_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    collection TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    role TEXT NOT NULL,
    content TEXT NOT NULL,
    answer TEXT,
    PRIMARY KEY (conversation_id, position)
);
CREATE TABLE IF NOT EXISTS conversation_locks (name TEXT PRIMARY KEY);
"""
_FIELDS = "id, title, collection, created_at, updated_at"


@dataclass(frozen=True)
class Conversation:
    """One saved chat (its messages are read separately)."""

    id: str
    title: str
    collection: str
    created_at: float
    updated_at: float


def title_from(question: str) -> str:
    """A title for a new chat: its first question on one line, cut at a word near MAX_TITLE / 2."""
    text = " ".join(question.split())
    limit = MAX_TITLE // 2
    if len(text) <= limit:
        return text or DEFAULT_TITLE
    return text[:limit].rsplit(" ", 1)[0] + "…"


class ConversationStore:
    """Create, list, read, rename and delete saved conversations in ``database`` (whose tables exist), shared
    with the other parts of the process: closing the store leaves it open."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._owns_database = False

    @classmethod
    def in_folder(cls, data_dir: Path) -> ConversationStore:
        """The conversations of a data folder (its conversations.sqlite3, made when missing); closing the store
        closes the file."""
        store = cls(Connection(open_data_file(data_dir, FILE_NAME, _SCHEMA, "conversations")))
        store._owns_database = True
        return store

    def create(self, title: str, collection: str) -> Conversation:
        """A new, empty conversation; a title already in use gets a number ('Holidays (2)'), so two chats
        that began with the same question can be told apart in the list."""
        wanted = _checked_title(title)
        with self._db.transaction() as db:
            db.execute(
                "INSERT INTO conversation_locks (name) VALUES (?) "
                "ON CONFLICT (name) DO UPDATE SET name = excluded.name",
                ("create",),
            )
            taken = {str(row[0]) for row in db.execute("SELECT title FROM conversations", ()).fetchall()}
            unique = wanted
            number = 2
            while unique in taken:
                suffix = f" ({number})"
                unique = wanted[: MAX_TITLE - len(suffix)] + suffix
                number += 1
            now = time.time()
            conversation = Conversation(uuid.uuid4().hex[:16], unique, collection, now, now)
            db.execute(
                f"INSERT INTO conversations ({_FIELDS}) VALUES (?, ?, ?, ?, ?)",
                (conversation.id, conversation.title, collection, now, now),
            )
        return conversation

    def list(self) -> list[Conversation]:
        """Every conversation, the most recently used first."""
        rows = self._db.query(f"SELECT {_FIELDS} FROM conversations ORDER BY updated_at DESC, created_at DESC, id")
        return [Conversation(*row) for row in rows]

    def get(self, conversation_id: str) -> Conversation | None:
        """One conversation, or None when there is no such id (deleted, or a stale link)."""
        rows = self._db.query(f"SELECT {_FIELDS} FROM conversations WHERE id=?", (conversation_id,))
        return Conversation(*rows[0]) if rows else None

    def messages(self, conversation_id: str) -> builtins.list[dict[str, Any]]:  # `list` is a method here
        """The messages in order: ``{"role", "content"}``, plus ``"answer"`` (Answer JSON) for answers."""
        rows = self._db.query(
            "SELECT role, content, answer FROM messages WHERE conversation_id=? ORDER BY position", (conversation_id,)
        )
        out = []
        for role, content, answer in rows:
            message: dict[str, Any] = {"role": role, "content": content}
            if answer is not None:
                message["answer"] = json.loads(answer)
            out.append(message)
        return out

    def add_message(self, conversation_id: str, role: str, content: str, answer: dict[str, Any] | None = None) -> int:
        """Append a message; returns its position (0-based)."""
        [position] = self.add_messages(conversation_id, [(role, content, answer)])
        return position

    def add_messages(
        self, conversation_id: str, messages: Sequence[tuple[str, str, dict[str, Any] | None]]
    ) -> builtins.list[int]:
        """Append ``(role, content, answer or None)`` messages one after the other, all or none (a question and
        its answer stay side by side whoever else writes to the conversation); returns their positions.
        InputError when the conversation does not exist (deleted meanwhile)."""
        with self._db.transaction() as db:
            _touch(db, conversation_id)  # first: on PostgreSQL it locks the conversation until this commits
            (start,) = db.execute(
                "SELECT COALESCE(MAX(position) + 1, 0) FROM messages WHERE conversation_id=?", (conversation_id,)
            ).fetchone()
            positions = [int(start) + offset for offset in range(len(messages))]
            for position, (role, content, answer) in zip(positions, messages, strict=True):
                db.execute(
                    "INSERT INTO messages (conversation_id, position, role, content, answer) VALUES (?, ?, ?, ?, ?)",
                    (conversation_id, position, role, content, None if answer is None else json.dumps(answer)),
                )
        return positions

    def rename(self, conversation_id: str, title: str) -> None:
        """Give a conversation a new title (1 to MAX_TITLE characters)."""
        checked = _checked_title(title)
        with self._db.transaction() as db:
            db.execute("UPDATE conversations SET title=? WHERE id=?", (checked, conversation_id))

    def delete(self, conversation_id: str) -> None:
        """Remove a conversation and its messages."""
        with self._db.transaction() as db:
            db.execute("DELETE FROM messages WHERE conversation_id=?", (conversation_id,))
            db.execute("DELETE FROM conversations WHERE id=?", (conversation_id,))

    def export(self, conversation_id: str) -> dict[str, Any] | None:
        """The conversation with every message and answer (citations included), or None when there is no
        such id."""
        conversation = self.get(conversation_id)
        if conversation is None:
            return None
        return {
            "id": conversation.id,
            "title": conversation.title,
            "collection": conversation.collection,
            "created_at": conversation.created_at,
            "updated_at": conversation.updated_at,
            "messages": self.messages(conversation_id),
        }

    def export_json(self, conversation_id: str) -> str:
        """The conversation with every message and answer (citations included), as indented JSON."""
        exported = self.export(conversation_id)
        if exported is None:
            raise InputError(f"conversation {conversation_id!r} does not exist (deleted?)")
        return json.dumps(exported, indent=2, ensure_ascii=False)

    def close(self) -> None:
        """Close the SQLite file of a store opened with `in_folder`; a shared database stays open for its owner."""
        if self._owns_database:
            self._db.close()


def _touch(db: Cursor, conversation_id: str) -> None:
    touched = db.execute("UPDATE conversations SET updated_at=? WHERE id=?", (time.time(), conversation_id))
    if touched.rowcount == 0:
        raise InputError(f"conversation {conversation_id!r} does not exist (deleted?); start a new one")


def _checked_title(title: str) -> str:
    text = " ".join(title.split())
    if not text:
        raise InputError("a conversation title cannot be empty; type a few words")
    if len(text) > MAX_TITLE:
        raise InputError(f"a conversation title has at most {MAX_TITLE} characters (this one has {len(text)})")
    return text
