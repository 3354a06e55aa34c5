"""Saved conversations: one SQLite file in the data directory, so chats survive reloads and restarts.

Each message keeps the full Answer JSON it was shown with, so a reopened chat shows the same citations.
"""

from __future__ import annotations

import builtins
import json
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import InputError
from assistant.index.folder import open_data_file

FILE_NAME = "conversations.sqlite3"
MAX_TITLE = 120

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
"""


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
        return text or "Untitled chat"
    return text[:limit].rsplit(" ", 1)[0] + "…"


class ConversationStore:
    """Create, list, read, rename and delete saved conversations."""

    def __init__(self, data_dir: Path) -> None:
        self._lock = threading.RLock()  # one connection shared by the sessions of the web app
        self._db = open_data_file(data_dir, FILE_NAME, _SCHEMA, "conversations")

    def _run(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def create(self, title: str, collection: str) -> Conversation:
        """A new, empty conversation; a title already in use gets a number ('Holidays (2)'), so two chats
        that began with the same question can be told apart in the list."""
        now = time.time()
        wanted = _checked_title(title)
        with self._lock:
            taken = {str(row[0]) for row in self._run("SELECT title FROM conversations")}
            unique = wanted
            number = 2
            while unique in taken:
                suffix = f" ({number})"
                unique = wanted[: MAX_TITLE - len(suffix)] + suffix
                number += 1
            conversation = Conversation(uuid.uuid4().hex[:16], unique, collection, now, now)
            self._run(
                "INSERT INTO conversations VALUES (?, ?, ?, ?, ?)",
                (conversation.id, conversation.title, collection, now, now),
            )
        return conversation

    def list(self) -> list[Conversation]:
        """Every conversation, the most recently used first."""
        rows = self._run(
            "SELECT id, title, collection, created_at, updated_at FROM conversations ORDER BY updated_at DESC"
        )
        return [Conversation(*row) for row in rows]

    def get(self, conversation_id: str) -> Conversation | None:
        """One conversation, or None when there is no such id (deleted, or a stale link)."""
        rows = self._run(
            "SELECT id, title, collection, created_at, updated_at FROM conversations WHERE id=?", (conversation_id,)
        )
        return Conversation(*rows[0]) if rows else None

    def messages(self, conversation_id: str) -> builtins.list[dict[str, Any]]:  # `list` is a method here
        """The messages in order: ``{"role", "content"}``, plus ``"answer"`` (Answer JSON) for answers."""
        rows = self._run(
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
        with self._lock:
            (count,) = self._db.execute(
                "SELECT COUNT(*) FROM messages WHERE conversation_id=?", (conversation_id,)
            ).fetchone()
            self._db.execute(
                "INSERT INTO messages VALUES (?, ?, ?, ?, ?)",
                (conversation_id, count, role, content, None if answer is None else json.dumps(answer)),
            )
            self._db.execute("UPDATE conversations SET updated_at=? WHERE id=?", (time.time(), conversation_id))
        return int(count)

    def rename(self, conversation_id: str, title: str) -> None:
        """Give a conversation a new title (1 to MAX_TITLE characters)."""
        self._run("UPDATE conversations SET title=? WHERE id=?", (_checked_title(title), conversation_id))

    def delete(self, conversation_id: str) -> None:
        """Remove a conversation and its messages."""
        self._run("DELETE FROM conversations WHERE id=?", (conversation_id,))

    def export_json(self, conversation_id: str) -> str:
        """The conversation with every message and answer (citations included), as indented JSON."""
        conversation = self.get(conversation_id)
        if conversation is None:
            raise InputError(f"conversation {conversation_id!r} does not exist (deleted?)")
        return json.dumps(
            {
                "id": conversation.id,
                "title": conversation.title,
                "collection": conversation.collection,
                "created_at": conversation.created_at,
                "updated_at": conversation.updated_at,
                "messages": self.messages(conversation_id),
            },
            indent=2,
            ensure_ascii=False,
        )

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()


def _checked_title(title: str) -> str:
    text = " ".join(title.split())
    if not text:
        raise InputError("a conversation title cannot be empty; type a few words")
    if len(text) > MAX_TITLE:
        raise InputError(f"a conversation title has at most {MAX_TITLE} characters (this one has {len(text)})")
    return text
