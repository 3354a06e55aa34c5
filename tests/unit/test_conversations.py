"""Saved conversations and feedback: real SQLite files in a temp data folder."""

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from assistant import Settings
from assistant.chats.conversations import MAX_TITLE, ConversationStore, title_from
from assistant.chats.feedback import FeedbackStore, settings_snapshot
from assistant.errors import InputError

ANSWER = {
    "answer": "Neutrality [1].",
    "refused": False,
    "standalone_question": "What does Russia demand?",
    "citations": [
        {
            "n": 1,
            "source": "/docs/brief.md",
            "chunk_id": "c1",
            "start": 0,
            "end": 40,
            "page": None,
            "text": "Russia demands that Ukraine stay neutral.",
            "highlights": [],
        }
    ],
    "passages": [],
}


def test_a_conversation_is_read_back_with_its_answers_after_the_store_is_reopened(tmp_path: Path) -> None:
    store = ConversationStore.in_folder(tmp_path)
    chat = store.create(title_from("What does Russia demand?"), "news")
    store.add_message(chat.id, "user", "What does Russia demand?")
    assert store.add_message(chat.id, "assistant", "Neutrality [1].", ANSWER) == 1
    store.close()

    reopened = ConversationStore.in_folder(tmp_path)
    [listed] = reopened.list()
    assert (listed.id, listed.title, listed.collection) == (chat.id, "What does Russia demand?", "news")
    messages = reopened.messages(chat.id)
    assert messages[0] == {"role": "user", "content": "What does Russia demand?"}
    assert messages[1]["answer"]["citations"][0]["text"] == "Russia demands that Ukraine stay neutral."
    exported = json.loads(reopened.export_json(chat.id))
    assert exported["title"] == "What does Russia demand?" and len(exported["messages"]) == 2


def test_conversations_are_renamed_and_deleted_and_listed_newest_first(tmp_path: Path) -> None:
    store = ConversationStore.in_folder(tmp_path)
    first = store.create("first", "news")
    second = store.create("second", "news")
    store.add_message(first.id, "user", "hello")  # used last, so listed first
    assert [chat.id for chat in store.list()] == [first.id, second.id]
    store.rename(second.id, "  Moscow's   terms ")
    assert store.get(second.id).title == "Moscow's terms"  # type: ignore[union-attr]
    store.delete(first.id)
    assert store.get(first.id) is None and store.messages(first.id) == []
    assert [chat.title for chat in store.list()] == ["Moscow's terms"]


@pytest.mark.parametrize("title", ["", "   ", "x" * (MAX_TITLE + 1)])
def test_a_bad_title_is_refused_with_a_reason(tmp_path: Path, title: str) -> None:
    store = ConversationStore.in_folder(tmp_path)
    chat = store.create("kept", "news")
    with pytest.raises(InputError, match="title"):
        store.rename(chat.id, title)
    assert store.get(chat.id).title == "kept"  # type: ignore[union-attr]


def test_a_long_first_question_makes_a_short_title() -> None:
    title = title_from("Could you please tell me " + "very " * 30 + "much?")
    assert len(title) <= MAX_TITLE // 2 + 1 and title.endswith("…") and not title.startswith(" ")


def test_feedback_keeps_the_thumb_when_a_correction_is_added(tmp_path: Path) -> None:
    store = FeedbackStore.in_folder(tmp_path)
    settings = settings_snapshot(Settings(collection="news", answerer="extractive", llm_api_key="secret"))
    common: dict[str, Any] = {
        "conversation_id": "c",
        "position": 1,
        "question": "Q?",
        "history": [],
        "answer": ANSWER,
        "settings": settings,
    }
    store.save(**common, rating=0)
    saved = store.save(**common, correction="  a cap on   its army ", keep_rating=True)
    assert saved.rating == 0 and saved.correction == "a cap on its army" and saved.corrected
    # A new thumb afterwards leaves the correction as it was.
    rated = store.save(**common, rating=1, keep_correction=True)
    assert rated.rating == 1 and rated.correction == "a cap on its army" and rated.corrected
    assert "llm_api_key" not in saved.settings and saved.settings["answerer"] == "extractive"
    assert [item.position for item in FeedbackStore.in_folder(tmp_path).corrected()] == [1]


def test_two_chats_that_begin_alike_get_titles_that_tell_them_apart(tmp_path: Path) -> None:
    store = ConversationStore.in_folder(tmp_path)
    first = store.create("Holiday rules", "team")
    second = store.create("Holiday rules", "team")
    third = store.create("Holiday rules", "other")
    assert [first.title, second.title, third.title] == ["Holiday rules", "Holiday rules (2)", "Holiday rules (3)"]
    long = store.create("x" * MAX_TITLE, "team")
    assert store.create(long.title, "team").title == "x" * (MAX_TITLE - 4) + " (2)"


def test_a_conversations_file_written_before_the_shared_database_opens_with_its_chats(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "conversations.sqlite3") as db:  # the tables as the earlier code made them
        db.executescript(
            """CREATE TABLE conversations (id TEXT PRIMARY KEY, title TEXT NOT NULL, collection TEXT NOT NULL,
                created_at REAL NOT NULL, updated_at REAL NOT NULL);
            CREATE TABLE messages (conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
                position INTEGER NOT NULL, role TEXT NOT NULL, content TEXT NOT NULL, answer TEXT,
                PRIMARY KEY (conversation_id, position));"""
        )
        db.execute("INSERT INTO conversations VALUES ('old1', 'Holiday rules', 'team', 1.0, 2.0)")
        db.execute("INSERT INTO messages VALUES ('old1', 0, 'user', 'How many days?', NULL)")
    db.close()
    store = ConversationStore.in_folder(tmp_path)
    assert [(chat.id, chat.title) for chat in store.list()] == [("old1", "Holiday rules")]
    assert store.add_message("old1", "assistant", "25 days [1].", ANSWER) == 1
    assert store.create("Holiday rules", "team").title == "Holiday rules (2)"
    assert [message["content"] for message in store.messages("old1")] == ["How many days?", "25 days [1]."]
