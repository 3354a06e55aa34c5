"""The server state store's own parts against a real PostgreSQL: connecting and its messages, migrations, the
catalog's all-or-nothing writes, the advisory writer lock across processes, upload bytes, and a connection the
server dropped."""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from assistant.app.compose import SharedParts
from assistant.app.migrate import CHAT_TABLES
from assistant.app.uploads import Staging, folder_locked, upload_folder
from assistant.chats.conversations import ConversationStore
from assistant.chats.feedback import FeedbackStore
from assistant.errors import StoreError
from assistant.index.catalog import Catalog
from assistant.index.folder import catalog_file
from assistant.index.postgres.catalog import PgCatalog
from assistant.index.postgres.connection import PgConnection, redacted, refused
from assistant.index.postgres.schema import MIGRATIONS, applied, migrate
from assistant.index.postgres.uploads import PgUploads
from assistant.settings import Settings
from assistant.types import ChunkRecord

ROOT = Path(__file__).resolve().parents[2]
TEXT = "Russia demands a neutral Ukraine. The ferry leaves every 40 minutes."


def chunks(source: str) -> list[ChunkRecord]:
    return [
        ChunkRecord(f"{source}-0", source, 0, 33, None, TEXT[:33], ""),
        ChunkRecord(f"{source}-1", source, 34, len(TEXT), None, TEXT[34:], "Harbour"),
    ]


@pytest.fixture
def catalog(postgres_url: str) -> Iterator[PgCatalog]:
    shared = SharedParts()
    found = shared.catalog(Settings(database_url=postgres_url))
    assert isinstance(found, PgCatalog)
    yield found
    shared.close()


def test_a_wrong_or_unreachable_url_says_what_to_set_and_never_shows_the_password(postgres_url: str) -> None:
    server = postgres_url.removeprefix("postgresql://qa@").rsplit("/", 1)[0]
    cases = {
        "mysql://qa:hunter2@db/qa": "not a PostgreSQL URL",
        "postgresql://qa:hunter2@127.0.0.1:1/qa": "cannot reach the PostgreSQL server at postgresql://qa@127.0.0.1:1/qa",
        f"postgresql://qa:hunter2@{server}/nowhere": "no such database",
        "postgresql://qa:hun/ter2@127.0.0.1:1/qa": "the database of QA_DATABASE_URL",  # an unescaped '/'
        "postgresql://qa@127.0.0.1:1/qa?password=hunter2": "at postgresql://qa@127.0.0.1:1/qa",
    }
    for url, said in cases.items():
        with pytest.raises(StoreError) as error:
            PgConnection(url)
        assert said in str(error.value) and "QA_DATABASE_URL" in str(error.value), str(error.value)
        assert "hunter2" not in str(error.value) and "ter2" not in str(error.value)
    assert redacted("host=db password=hunter2 user=qa dbname=qa") == "postgresql://qa@db/qa"
    # The test cluster trusts every local user; what a server asking for a password answers, as libpq words it:
    wrong = psycopg.OperationalError('connection failed: FATAL:  password authentication failed for user "qa"')
    assert "refused the user or password" in str(refused("postgresql://qa:hunter2@db/qa", wrong))


def test_the_schema_is_made_once_and_two_hosts_starting_together_take_turns(postgres_url: str) -> None:
    connections = [PgConnection(postgres_url) for _ in range(3)]
    errors: list[BaseException] = []

    def start(connection: PgConnection) -> None:
        try:
            migrate(connection)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(connection,)) for connection in connections]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert applied(connections[0]) == [name for name, _ in MIGRATIONS]
    migrate(connections[0])  # up to date: nothing more
    assert len(applied(connections[0])) == len(MIGRATIONS)
    for connection in connections:
        connection.close()


def test_a_write_that_fails_midway_leaves_the_earlier_version_whole(catalog: PgCatalog) -> None:
    catalog.replace_source("docs", "/a.md", "v1", TEXT, [], chunks("/a.md"))

    def broken() -> Iterator[ChunkRecord]:
        yield chunks("/a.md")[0]
        raise OSError("the loader failed")

    with pytest.raises(OSError, match="loader failed"):
        catalog.replace_source("docs", "/a.md", "v2", "other text", [], broken(), stale_vectors=["x-0"])
    assert catalog.records.source("docs", "/a.md").sha256 == "v1"  # type: ignore[union-attr]
    assert catalog.texts.text_of("docs", "/a.md") == TEXT
    assert [hit.chunk_id for hit, _ in catalog.keywords.search("docs", "ferry", 5)] == ["/a.md-1"]
    assert catalog.journal.pending("docs") == []  # the failed write's note went with it
    assert catalog.remove_source("docs", "/a.md") == ["/a.md-0", "/a.md-1"]
    assert catalog.records.sources("docs") == [] and catalog.keywords.search("docs", "ferry", 5) == []
    assert catalog.keywords.gaps("docs") == (0, 0)


def test_a_second_writer_waits_for_the_first_and_is_told_who_holds_the_lock(catalog: PgCatalog) -> None:
    heard: list[str] = []
    order: list[str] = []

    def second() -> None:
        with catalog.writer_lock(10, heard.append):
            order.append("second")

    with catalog.writer_lock(5):
        waiter = threading.Thread(target=second)
        waiter.start()
        time.sleep(0.6)
        order.append("first done")
    waiter.join(timeout=15)
    assert order == ["first done", "second"]
    assert heard and "waiting for another writer" in heard[0] and "pid" in heard[0]


def test_a_writer_that_cannot_get_the_lock_in_time_names_the_holder(catalog: PgCatalog) -> None:
    busy = pytest.raises(StoreError, match=r"still running after 0.5 s.*QA_WRITER_TIMEOUT_S")
    with catalog.writer_lock(5), busy, catalog.writer_lock(0.5):
        pass


def test_a_killed_writer_leaves_no_lock_behind(postgres_url: str, catalog: PgCatalog) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time\n"
                "from assistant.index.postgres.locking import advisory_writer_lock\n"
                "with advisory_writer_lock(sys.argv[1], 5):\n"
                "    print('held', flush=True)\n"
                "    time.sleep(600)\n"
            ),
            postgres_url,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreError, match="still running"), catalog.writer_lock(0.3):
            pass
        holder.kill()  # SIGKILL: no clean-up runs in the holder
        holder.wait(timeout=10)
        deadline = time.monotonic() + 10
        while True:  # the server notices the closed socket and ends the session
            try:
                with catalog.writer_lock(0.5):
                    break
            except StoreError:
                assert time.monotonic() < deadline, "the killed writer's lock was never released"
    finally:
        holder.kill()
        holder.wait(timeout=10)


def test_upload_bytes_are_kept_once_by_content_and_go_with_their_document(
    catalog: PgCatalog, postgres_url: str, tmp_path: Path
) -> None:
    uploads = PgUploads(PgConnection(postgres_url))

    def file(data: bytes) -> Path:
        path = tmp_path / hashlib.sha256(data).hexdigest()
        path.write_bytes(data)
        return path

    catalog.replace_source("docs", "/up/a.pdf", "h", TEXT, [0], chunks("/up/a.pdf"))
    catalog.replace_source("team", "/up/a.pdf", "h", TEXT, [0], chunks("/up/a.pdf"))
    uploads.keep("docs", "/up/a.pdf", "a.pdf", file(b"%PDF-1.4 first"))
    uploads.keep("team", "/up/a.pdf", "a.pdf", file(b"%PDF-1.4 first"))
    assert uploads.read("docs", "/up/a.pdf") == b"%PDF-1.4 first"
    with psycopg.connect(postgres_url) as db:
        assert db.execute("SELECT count(*) FROM upload_blobs").fetchone() == (1,)
    uploads.keep("docs", "/up/a.pdf", "a.pdf", file(b"%PDF-1.4 second"))  # a new version replaces the first
    assert uploads.read("docs", "/up/a.pdf") == b"%PDF-1.4 second"
    catalog.remove_source("docs", "/up/a.pdf")
    catalog.remove_source("team", "/up/a.pdf")
    assert uploads.read("docs", "/up/a.pdf") is None  # not on this disk either
    with psycopg.connect(postgres_url) as db:
        assert db.execute("SELECT count(*) FROM upload_blobs").fetchone() == (0,)


def _dropped_by_the_server(connection: PgConnection, postgres_url: str) -> int:
    """End the connection's session from the server side, as a restart or a failover does; returns its pid."""
    pid = int(connection.query("SELECT pg_backend_pid()")[0][0])
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    return pid


def test_a_connection_the_server_dropped_is_opened_again_for_the_next_read_search_or_write(
    postgres_url: str,
) -> None:
    connection = PgConnection(postgres_url)
    migrate(connection)
    catalog = PgCatalog(connection)
    pid = _dropped_by_the_server(connection, postgres_url)
    assert connection.query("SELECT count(*) FROM documents WHERE collection=?", ("docs",)) == [(0,)]
    assert connection.query("SELECT pg_backend_pid()")[0][0] != pid
    _dropped_by_the_server(connection, postgres_url)
    catalog.replace_source("docs", "/a.md", "v1", TEXT, [], chunks("/a.md"))  # a write
    _dropped_by_the_server(connection, postgres_url)
    with catalog.snapshot():  # a search's reads
        assert [hit.chunk_id for hit, _ in catalog.keywords.search("docs", "ferry", 5)] == ["/a.md-1"]
    connection.close()


def test_a_server_that_goes_away_mid_write_is_a_store_error_and_the_write_is_not_half_done(
    postgres_url: str,
) -> None:
    connection = PgConnection(postgres_url)
    migrate(connection)
    catalog = PgCatalog(connection)
    pid = int(connection.query("SELECT pg_backend_pid()")[0][0])

    def dropped_midway() -> Iterator[ChunkRecord]:
        yield chunks("/a.md")[0]
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        yield chunks("/a.md")[1]

    with pytest.raises(StoreError, match="PostgreSQL server at postgresql://"):
        catalog.replace_source("docs", "/a.md", "v1", TEXT, [], dropped_midway())
    assert catalog.records.sources("docs") == []  # nothing of it committed; the next read reconnects
    connection.close()


def test_an_upload_name_another_host_took_for_another_file_is_not_reused(tmp_path: Path, postgres_url: str) -> None:
    """Two hosts keep uploads under the same path (as docs/scaling.md asks), each on its own disk: what host A
    stored under a name tells host B that the name is taken, unless it is the same upload again."""
    settings = Settings(data_dir=tmp_path / "data", collection="docs", database_url=postgres_url)
    connection = PgConnection(postgres_url)
    migrate(connection)
    uploads = PgUploads(connection)
    folder = upload_folder(settings)
    folder.mkdir(parents=True)
    sent = tmp_path / "sent-by-a.txt"
    sent.write_bytes(b"A: every 40 minutes")
    uploads.keep("docs", str(folder.resolve() / "ferry_notes.txt"), "ferry notes.txt", sent)

    def placed_on_host_b(name: str, data: bytes) -> str:
        staging = Staging.create(settings.storage.data_dir)
        try:
            staged = staging.add(name, data, settings)
            with folder_locked(folder):
                entry = staging.place(settings, staged, [], uploads)
                entry.undo()  # only where it would go matters here
            return entry.target.name
        finally:
            staging.discard()

    assert placed_on_host_b("ferry_notes.txt", b"B: a different file") != "ferry_notes.txt"  # not A's document
    assert placed_on_host_b("ferry notes.txt", b"A's file, a new version") == "ferry_notes.txt"  # replaces it
    assert placed_on_host_b("ferry_notes.txt", b"A: every 40 minutes") == "ferry_notes.txt"  # the same bytes


def test_the_tables_both_databases_share_have_the_same_columns_in_the_same_order(
    tmp_path: Path, postgres_url: str
) -> None:
    """Rows are written by position in both (and copied by migrate-to by name), so a column added to one
    database's table and not the other's would break writes or copies on one side only."""
    ConversationStore.in_folder(tmp_path).close()
    FeedbackStore.in_folder(tmp_path).close()
    Catalog(catalog_file(tmp_path)).close()
    files = {"conversations": "conversations", "messages": "conversations", "feedback": "feedback"}
    server = PgConnection(postgres_url)
    migrate(server)
    copied = {table: [c.strip() for c in columns.split(",")] for table, columns, _ in CHAT_TABLES}
    for table in ("documents", "chunks", "pending_deletes", "conversations", "messages", "feedback"):
        path = tmp_path / (f"{files[table]}.sqlite3" if table in files else "catalog.sqlite3")
        with contextlib.closing(sqlite3.connect(path)) as db:
            local = [str(row[1]) for row in db.execute(f"PRAGMA table_info({table})")]
        remote = [
            str(row[0])
            for row in server.query(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
                (table,),
            )
        ]
        assert local == remote, table
        assert copied.get(table, local) == local, table
    server.close()
