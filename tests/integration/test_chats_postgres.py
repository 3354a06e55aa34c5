"""Saved conversations and feedback behave alike in a data folder's SQLite files and in a PostgreSQL database, and
several app servers (each with its own connection) share them: what one writes the others read, and writes made
at the same moment neither collide nor get lost."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from assistant.chats.conversations import ConversationStore
from assistant.chats.feedback import FeedbackStore
from assistant.errors import InputError
from assistant.index.postgres.connection import PgConnection
from assistant.index.postgres.schema import migrate

ANSWER: dict[str, Any] = {
    "answer": "Every 40 minutes [1].",
    "refused": False,
    "citations": [{"n": 1, "source": "/docs/ferry.txt", "start": 0, "end": 30, "text": "The ferry leaves every 40"}],
}


class Server(NamedTuple):
    """What one app server holds: its own connection's stores."""

    conversations: ConversationStore
    feedback: FeedbackStore


@pytest.fixture(params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Server]]:
    """Opens the stores of one more app server on one shared state store (each call a connection of its own):
    the data folder's SQLite files, or a PostgreSQL database."""
    opened: list[Server] = []
    connections: list[PgConnection] = []

    def open_server() -> Server:
        if request.param == "sqlite":
            stores = Server(ConversationStore.in_folder(tmp_path), FeedbackStore.in_folder(tmp_path))
        else:
            connection = PgConnection(request.getfixturevalue("postgres_url"))
            migrate(connection)
            connections.append(connection)
            stores = Server(ConversationStore(connection), FeedbackStore(connection))
        opened.append(stores)
        return stores

    yield open_server
    for stores in opened:
        stores.conversations.close()
        stores.feedback.close()
    for connection in connections:
        connection.close()


def test_a_conversation_is_created_listed_read_renamed_exported_and_deleted(server: Callable[[], Server]) -> None:
    store = server().conversations
    first = store.create("Ferry times", "harbour")
    second = store.create("Ferry times", "harbour")
    assert second.title == "Ferry times (2)"
    assert store.add_message(first.id, "user", "How often does the ferry leave?") == 0
    assert store.add_message(first.id, "assistant", ANSWER["answer"], ANSWER) == 1
    assert [chat.id for chat in store.list()] == [first.id, second.id]  # the one used last comes first
    assert store.messages(first.id) == [
        {"role": "user", "content": "How often does the ferry leave?"},
        {"role": "assistant", "content": "Every 40 minutes [1].", "answer": ANSWER},
    ]
    store.rename(second.id, "  Tides ")
    got = store.get(second.id)
    assert got is not None and (got.title, got.collection) == ("Tides", "harbour")
    exported = json.loads(store.export_json(first.id))
    assert exported["messages"][1]["answer"]["citations"][0]["source"] == "/docs/ferry.txt"
    store.delete(first.id)
    assert store.get(first.id) is None and store.messages(first.id) == []
    assert [chat.title for chat in store.list()] == ["Tides"]
    with pytest.raises(InputError, match="does not exist"):
        store.add_message(first.id, "user", "still there?")


def test_feedback_is_saved_updated_and_corrections_are_listed(server: Callable[[], Server]) -> None:
    feedback = server().feedback
    common: dict[str, Any] = {"conversation_id": "c1", "question": "Ferry?", "history": [], "answer": ANSWER}
    feedback.save(**common, position=1, settings={"k": 5}, rating=0)
    corrected = feedback.save(
        **common, position=1, settings={"k": 5}, correction=" every  40 minutes ", note=" said 30 ", keep_rating=True
    )
    assert (corrected.rating, corrected.correction, corrected.note) == (0, "every 40 minutes", "said 30")
    rated = feedback.save(**common, position=1, settings={"k": 5}, rating=1, keep_correction=True)
    assert (rated.rating, rated.correction, rated.note) == (1, "every 40 minutes", "said 30")
    feedback.save(**common, position=3, settings={"k": 5}, rating=1)
    assert [(item.position, item.rating) for item in feedback.all()] == [(1, 1), (3, 1)]
    assert [item.position for item in feedback.corrected()] == [1]
    got = feedback.get("c1", 1)
    assert got is not None and got.answer == ANSWER and got.settings == {"k": 5}


def test_what_one_server_writes_the_other_reads(server: Callable[[], Server]) -> None:
    host_a, host_b = server(), server()
    chat = host_a.conversations.create("Started on A", "harbour")
    host_a.conversations.add_message(chat.id, "user", "How often does the ferry leave?")
    assert [listed.id for listed in host_b.conversations.list()] == [chat.id]
    assert host_b.conversations.add_message(chat.id, "assistant", ANSWER["answer"], ANSWER) == 1
    assert [message["role"] for message in host_a.conversations.messages(chat.id)] == ["user", "assistant"]
    host_b.feedback.save(
        conversation_id=chat.id, position=1, question="Ferry?", history=[], answer=ANSWER, settings={}, rating=1
    )
    host_a.feedback.save(
        conversation_id=chat.id,
        position=1,
        question="Ferry?",
        history=[],
        answer=ANSWER,
        settings={},
        correction="every 40 minutes",
        keep_rating=True,
    )
    [saved] = host_b.feedback.corrected()
    assert (saved.rating, saved.correction) == (1, "every 40 minutes")  # B's thumb kept by A's correction


def at_once(jobs: Sequence[Callable[[], list[Any]]]) -> list[Any]:
    """Run the jobs on threads of their own, started together; what they return, joined (a job's error raises)."""
    start = threading.Barrier(len(jobs))

    def started(job: Callable[[], list[Any]]) -> list[Any]:
        start.wait()
        return job()

    with ThreadPoolExecutor(len(jobs)) as pool:
        return [item for future in [pool.submit(started, job) for job in jobs] for item in future.result()]


def test_messages_added_at_once_by_several_servers_get_consecutive_positions(server: Callable[[], Server]) -> None:
    hosts = [server() for _ in range(4)]
    chat = hosts[0].conversations.create("Busy", "harbour")
    turns = 15

    def ask(number: int, store: ConversationStore) -> list[int]:
        positions = []
        for turn in range(turns):
            turn_messages: list[tuple[str, str, dict[str, Any] | None]] = [
                ("user", f"question {number}.{turn}", None),
                ("assistant", f"answer {number}.{turn}", {}),
            ]
            positions += store.add_messages(chat.id, turn_messages)
        return positions

    jobs = [partial(ask, number, host.conversations) for number, host in enumerate(hosts)]
    positions = at_once(jobs)
    assert sorted(positions) == list(range(len(hosts) * turns * 2))
    messages = hosts[-1].conversations.messages(chat.id)
    assert len(messages) == len(positions)
    # Each answer right after its own question, whoever else wrote meanwhile.
    for question, answer in zip(messages[::2], messages[1::2], strict=True):
        assert question["role"] == "user" and answer["content"] == question["content"].replace("question", "answer")


def test_chats_created_at_once_on_several_servers_get_titles_that_tell_them_apart(
    server: Callable[[], Server],
) -> None:
    hosts = [server() for _ in range(4)]

    def create(store: ConversationStore) -> list[str]:
        return [store.create("Holiday rules", "team").title for _ in range(5)]

    titles = at_once([partial(create, host.conversations) for host in hosts])
    assert sorted(titles) == sorted(["Holiday rules"] + [f"Holiday rules ({n})" for n in range(2, 21)])


def test_a_thumb_and_a_correction_saved_at_once_on_two_servers_are_both_kept(server: Callable[[], Server]) -> None:
    host_a, host_b = server(), server()
    common: dict[str, Any] = {
        "conversation_id": "c1",
        "position": 1,
        "question": "Ferry?",
        "history": [],
        "answer": ANSWER,
        "settings": {},
    }
    rounds = 30

    def thumbs() -> list[None]:
        for number in range(rounds):
            host_a.feedback.save(**common, rating=number % 2, keep_correction=True)
        return []

    def corrections() -> list[None]:
        for number in range(rounds):
            host_b.feedback.save(**common, correction=f"every {number} minutes", keep_rating=True)
        return []

    at_once([thumbs, corrections])
    saved = host_a.feedback.get("c1", 1)
    assert saved is not None and (saved.rating, saved.correction) == (1, f"every {rounds - 1} minutes")


def test_closing_a_store_on_a_shared_connection_leaves_the_connection_open(postgres_url: str) -> None:
    connection = PgConnection(postgres_url)
    migrate(connection)
    ConversationStore(connection).close()
    FeedbackStore(connection).close()
    chat = ConversationStore(connection).create("still open", "harbour")
    assert connection.query("SELECT title FROM conversations WHERE id = ?", (chat.id,)) == [("still open",)]
    connection.close()
