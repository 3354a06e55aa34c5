"""Saved conversations over HTTP: start one, chat in it with ``conversation_id`` (whole or streamed) and every
turn is kept with its citations, a follow-up is read with the saved turns, and an unknown id is a 404. The routers
run on a bare app over a registry on a temporary data folder (SQLite), as in test_http_routers.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.app.http.api import create_app
from assistant.app.http.routes import chat, conversations
from assistant.app.registry import Registry
from assistant.chats.conversations import ConversationStore
from assistant.settings import Settings
from tests.fixtures.http import alone, code, ferry_registry, router_settings

QUESTION = "How often does the ferry leave?"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return router_settings(tmp_path)


@pytest.fixture
def registry(settings: Settings, tmp_path: Path) -> Iterator[Registry]:
    with ferry_registry(settings, tmp_path) as built:
        yield built


@pytest.fixture
def client(registry: Registry) -> TestClient:
    return alone(registry, conversations.router, chat.router)


def ask(client: TestClient, conversation_id: str, question: str, **fields: Any) -> Any:
    return client.post(
        "/v1/chat/completions",
        json={"conversation_id": conversation_id, "messages": [{"role": "user", "content": question}], **fields},
    )


def test_a_conversation_is_started_on_the_default_collection_or_a_named_one(client: TestClient) -> None:
    started = client.post("/v1/conversations", json={})
    assert started.status_code == 201, started.text
    body = started.json()
    assert set(body) == {"id", "title", "collection", "created_at", "updated_at", "messages"}
    assert (body["title"], body["collection"], body["messages"]) == ("Untitled chat", "docs", [])
    named = client.post("/v1/conversations", json={"title": "Ferry times", "collection": "docs"}).json()
    assert named["title"] == "Ferry times" and named["id"] != body["id"]
    unknown = client.post("/v1/conversations", json={"collection": "nowhere"})
    assert unknown.status_code == 404 and code(unknown) == "not_found" and "nowhere" in unknown.text
    bad_name = client.post("/v1/conversations", json={"collection": "../up"})
    assert bad_name.status_code == 400 and code(bad_name) == "input_error"
    blank = client.post("/v1/conversations", json={"title": "   "})
    assert blank.status_code == 400 and code(blank) == "input_error" and "title" in blank.text
    listed = client.get("/v1/conversations").json()["conversations"]
    assert [item["id"] for item in listed] == [named["id"], body["id"]]  # newest first


def test_a_chat_in_a_conversation_keeps_the_turn_with_its_citations(client: TestClient, registry: Registry) -> None:
    conversation = client.post("/v1/conversations", json={"title": "Ferry"}).json()
    reply = ask(client, conversation["id"], QUESTION)
    assert reply.status_code == 200, reply.text
    assert reply.json()["conversation_id"] == conversation["id"]
    assert "40 minutes" in reply.json()["choices"][0]["message"]["content"]

    saved = client.get(f"/v1/conversations/{conversation['id']}")
    assert saved.status_code == 200
    question, answer = saved.json()["messages"]
    assert question == {"role": "user", "content": QUESTION}
    assert answer["role"] == "assistant" and "40 minutes" in answer["content"]
    assert answer["answer"]["citations"][0]["source"].endswith("ferry.txt")
    # The browser app reads the same conversation from the same store.
    store: ConversationStore = registry.shared.conversations(registry.settings)
    assert [message["role"] for message in store.messages(conversation["id"])] == ["user", "assistant"]


def test_an_untitled_conversation_is_named_by_its_first_question_and_a_titled_one_keeps_its_title(
    client: TestClient,
) -> None:
    untitled = client.post("/v1/conversations", json={}).json()
    titled = client.post("/v1/conversations", json={"title": "Ferry"}).json()
    for conversation in (untitled, titled):
        ask(client, conversation["id"], QUESTION)
        ask(client, conversation["id"], "And the last one?")
    titles = {item["id"]: item["title"] for item in client.get("/v1/conversations").json()["conversations"]}
    assert titles == {untitled["id"]: QUESTION, titled["id"]: "Ferry"}


def test_a_follow_up_sent_alone_is_read_with_the_saved_turns(client: TestClient) -> None:
    conversation = client.post("/v1/conversations", json={}).json()
    ask(client, conversation["id"], QUESTION)
    follow_up = ask(client, conversation["id"], "And why is that?").json()
    assert follow_up["qa_answer"]["standalone_question"] == f"{QUESTION} And why is that?"
    # Without the conversation the same message stands alone.
    alone_reply = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "And why?"}]})
    assert alone_reply.json()["qa_answer"]["standalone_question"] == "And why?"
    saved = client.get(f"/v1/conversations/{conversation['id']}").json()["messages"]
    assert [message["content"] for message in saved[::2]] == [QUESTION, "And why is that?"]


def test_a_streamed_answer_is_kept_and_its_last_chunk_names_the_conversation(client: TestClient) -> None:
    conversation = client.post("/v1/conversations", json={}).json()
    reply = ask(client, conversation["id"], QUESTION, stream=True)
    assert reply.status_code == 200
    events = [json.loads(line[6:]) for line in reply.text.splitlines() if line.startswith("data: {")]
    final = next(event for event in events if event.get("choices") and event["choices"][0]["finish_reason"])
    assert final["conversation_id"] == conversation["id"]
    messages = client.get(f"/v1/conversations/{conversation['id']}").json()["messages"]
    assert [message["role"] for message in messages] == ["user", "assistant"]
    assert messages[1]["answer"]["citations"] == final["citations"]


def test_an_unknown_conversation_is_a_404_that_says_how_to_start_one(client: TestClient) -> None:
    missing = client.get("/v1/conversations/nosuchchat")
    assert missing.status_code == 404 and code(missing) == "not_found"
    assert "POST /v1/conversations" in missing.json()["error"]["message"]
    chat_reply = ask(client, "nosuchchat", QUESTION)
    assert chat_reply.status_code == 404 and code(chat_reply) == "not_found"
    assert client.get("/v1/conversations").json()["conversations"] == []  # nothing made on the way


def test_the_whole_app_serves_the_conversations(settings: Settings) -> None:
    client = TestClient(create_app(settings))
    started = client.post("/v1/conversations", json={"title": "Hello"})
    assert started.status_code == 201
    assert client.get(f"/v1/conversations/{started.json()['id']}").json()["title"] == "Hello"
