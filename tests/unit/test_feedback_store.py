"""FeedbackStore keeps a correction as a short answer plus a note, and opens feedback files made before notes."""

import sqlite3
from pathlib import Path
from typing import Any

from assistant.chats.feedback import FILE_NAME, FeedbackStore

# The table as it was before notes (the schema of feedback.sqlite3 files already on users' disks).
OLD_SCHEMA = """
CREATE TABLE feedback (
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
    PRIMARY KEY (conversation_id, position)
);
"""


def old_feedback_file(data: Path) -> None:
    data.mkdir(parents=True)
    db = sqlite3.connect(str(data / FILE_NAME))
    db.executescript(OLD_SCHEMA)
    db.execute(
        "INSERT INTO feedback VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            "chat1",
            1,
            0,
            "neutrality",
            0,
            "What does Russia demand?",
            "[]",
            '{"answer": "x"}',
            '{"collection": "news"}',
            5.0,
        ),
    )
    db.commit()
    db.close()


def test_a_feedback_file_from_before_notes_opens_and_keeps_its_rows(tmp_path: Path) -> None:
    old_feedback_file(tmp_path / "data")
    store = FeedbackStore.in_folder(tmp_path / "data")
    [old] = store.all()
    assert (old.conversation_id, old.correction, old.note, old.rating) == ("chat1", "neutrality", None, 0)
    assert old.settings == {"collection": "news"} and old.corrected
    # The old row can be given a note, and new rows are written beside it.
    store.save(
        conversation_id="chat1",
        position=1,
        question=old.question,
        history=[],
        answer=old.answer,
        settings=old.settings,
        correction="guarantees of neutrality",
        note="It also wants a cap on the army.",
        keep_rating=True,
    )
    store.save(conversation_id="chat2", position=1, question="q", history=[], answer={}, settings={}, rating=1)
    store.close()
    reopened = FeedbackStore.in_folder(tmp_path / "data")  # opening a migrated file again changes nothing
    first = reopened.get("chat1", 1)
    assert first is not None and first.rating == 0
    assert (first.correction, first.note) == ("guarantees of neutrality", "It also wants a cap on the army.")
    assert [item.conversation_id for item in reopened.all()] == ["chat1", "chat2"]


def test_a_thumb_keeps_the_note_and_a_blank_note_is_none(tmp_path: Path) -> None:
    store = FeedbackStore.in_folder(tmp_path)
    common: dict[str, Any] = {
        "conversation_id": "c",
        "position": 1,
        "question": "q",
        "history": [],
        "answer": {},
        "settings": {},
    }
    store.save(**common, correction="25 days", note="  the answer said 30  ")
    saved = store.save(**common, rating=1, keep_correction=True)
    assert (saved.correction, saved.note, saved.rating) == ("25 days", "the answer said 30", 1)
    assert store.save(**common, correction="25 days", note="   ").note is None
