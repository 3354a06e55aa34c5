"""`qa admin migrate-to URL`: a team that started on one machine moves its data folder onto a Chroma server and
PostgreSQL; `qa sources verify` finds both sides consistent and alike, and the servers answer as the folder did."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from assistant.chats.conversations import ConversationStore
from assistant.chats.feedback import FeedbackStore
from assistant.index.postgres.connection import PgConnection
from tests.fixtures.servers import chroma_server
from tests.reliability.conftest import qa_env


def qa(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args], check=False, env=env, capture_output=True, text=True, timeout=600
    )


def test_a_data_folder_moves_onto_the_servers_and_both_sides_verify(tmp_path: Path, postgres_url: str) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "ferry.md").write_text("# Harbour\n\nThe harbour ferry leaves every 40 minutes from the north pier.\n")
    (docs / "lamp.txt").write_text("The lighthouse lamp was automated in 1989 and is serviced each spring.\n")
    folder = qa_env(tmp_path / "laptop" / "data")
    assert qa(folder, "ingest", str(docs)).returncode == 0
    assert qa(folder, "ingest", str(docs / "lamp.txt"), "--collection", "lights").returncode == 0
    chats = ConversationStore.in_folder(tmp_path / "laptop" / "data")
    chat = chats.create("Harbour", "docs")
    chats.add_message(chat.id, "user", "How often does the ferry leave?")
    chats.add_message(chat.id, "assistant", "Every 40 minutes [1].", {"text": "Every 40 minutes [1]."})
    chats.close()
    feedback = FeedbackStore.in_folder(tmp_path / "laptop" / "data")
    feedback.save(
        conversation_id=chat.id, position=1, question="How often does the ferry leave?", history=[],
        answer={"text": "Every 40 minutes [1]."}, settings={}, rating=1,
    )  # fmt: skip
    feedback.close()
    before = qa(folder, "search", "When was the lamp automated?", "--json")

    with chroma_server(tmp_path / "chroma") as chroma_url:
        moved = qa(folder, "admin", "migrate-to", postgres_url, "--chroma-url", chroma_url)
        assert moved.returncode == 0, moved.stdout + moved.stderr
        assert "copied 3 documents" in moved.stdout and "2 chat" not in moved.stdout  # three rows of chats
        assert moved.stdout.count("consistent") == 4  # two collections, each side

        server = qa_env(tmp_path / "app-host" / "data", {"QA_DATABASE_URL": postgres_url, "QA_CHROMA_URL": chroma_url})
        for collection in ("docs", "lights"):
            here = qa(folder, "sources", "verify", "--collection", collection)
            there = qa(server, "sources", "verify", "--collection", collection)
            assert here.returncode == 0 and there.returncode == 0, here.stdout + there.stdout
            assert here.stdout == there.stdout  # same sources, chunks and vectors, consistent
        listed = qa(server, "sources", "list").stdout
        assert "2 sources in collection 'docs', state store postgresql://" in listed and "ferry.md" in listed
        after = qa(server, "search", "When was the lamp automated?", "--json")
        assert json.loads(after.stdout) == json.loads(before.stdout)

        database = PgConnection(postgres_url)
        [moved_chat] = ConversationStore(database).list()
        assert (moved_chat.id, moved_chat.title) == (chat.id, "Harbour")
        assert [m["content"] for m in ConversationStore(database).messages(chat.id)][1] == "Every 40 minutes [1]."
        assert [(f.conversation_id, f.rating) for f in FeedbackStore(database).all()] == [(chat.id, 1)]
        # The files as added go too: an app host draws a PDF page from them without the laptop's disk.
        kept = database.query(
            "SELECT b.data FROM uploads u JOIN upload_blobs b USING (sha256) WHERE u.collection = ? AND u.source = ?",
            ("docs", str((docs / "ferry.md").resolve())),
        )
        assert [bytes(row[0]) for row in kept] == [(docs / "ferry.md").read_bytes()]

        # Copying again is refused (the servers may have stored more since); --replace copies the folder's
        # current state, a changed file and a removed one included, and both sides check out alike.
        again = qa(folder, "admin", "migrate-to", postgres_url, "--chroma-url", chroma_url)
        assert again.returncode == 1 and "already hold collection(s) 'docs', 'lights'" in again.stderr
        assert "--replace" in again.stderr
        (docs / "ferry.md").write_text("# Harbour\n\nThe harbour ferry now leaves every 25 minutes.\n")
        assert qa(folder, "ingest", str(docs)).returncode == 0
        assert qa(folder, "sources", "remove", "lamp.txt", "--collection", "lights").returncode == 0
        replaced = qa(folder, "admin", "migrate-to", postgres_url, "--chroma-url", chroma_url, "--replace")
        assert replaced.returncode == 0, replaced.stdout + replaced.stderr
        assert "copied 2 documents" in replaced.stdout and replaced.stdout.count("consistent") == 2
        there = qa(server, "sources", "verify", "--collection", "docs")
        assert there.returncode == 0 and there.stdout == qa(folder, "sources", "verify").stdout
        assert "25 minutes" in qa(server, "search", "How often does the ferry leave?").stdout
        database.close()

    # A Chroma server that cannot be reached is found before anything is written to PostgreSQL.
    down = qa(folder, "admin", "migrate-to", postgres_url, "--chroma-url", chroma_url, "--replace")
    assert down.returncode == 1 and chroma_url in down.stderr and "Chroma server" in down.stderr
    assert "copying collection" not in down.stderr
