"""`qa admin migrate-to URL`: copy an embedded data folder (SQLite files and embedded Chroma) into a server state
store (PostgreSQL at URL and the Chroma server of QA_CHROMA_URL), for a team moving from one machine to several.

Every collection is checked first and copied only when consistent (a crashed ingest is repaired before, not
carried over). Documents are copied with their chunks, text and pages (the keyword index is made from them in
PostgreSQL), vectors as stored (nothing is embedded again), then saved chats and feedback with their ids. Both
sides are checked afterwards, as `qa sources verify` checks them. Copying again updates what was copied.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from assistant.app.compose import Parts, SharedParts, build_parts
from assistant.chats import conversations, feedback
from assistant.errors import InputError
from assistant.index.catalog import copy_documents
from assistant.index.connection import Database
from assistant.settings import Settings
from ingest.consistency import Consistency, check

# The chat tables, each with its columns (the same in both databases) and its primary key.
CHAT_TABLES = (
    ("conversations", "id, title, collection, created_at, updated_at", "id"),
    ("messages", "conversation_id, position, role, content, answer", "conversation_id, position"),
    (
        "feedback",
        (
            "conversation_id, position, rating, correction, unanswerable, question, history, answer, settings, "
            "updated_at, note"
        ),
        "conversation_id, position",
    ),
)


@dataclass
class MigrationReport:
    """What was copied, and the checks of both sides per collection: (embedded, server)."""

    documents: int = 0
    vectors: int = 0
    chat_rows: int = 0
    checks: dict[str, tuple[Consistency, Consistency]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every collection is consistent on both sides and holds the same documents and vectors."""
        return all(
            before.ok
            and after.ok
            and (before.sources, before.chunks, before.vectors) == (after.sources, after.chunks, after.vectors)
            for before, after in self.checks.values()
        )


def migrate_to(
    settings: Settings,
    url: str,
    chroma_url: str,
    say: Callable[[str], None] = lambda _: None,
    *,
    replace: bool = False,
) -> MigrationReport:
    """Copy every collection, chat and feedback row of ``settings``' data folder into the server store at ``url``
    and the Chroma server at ``chroma_url``. A collection the servers hold already is refused, or with
    ``replace`` emptied first (what the servers stored in it is lost)."""
    if settings.storage.database_url:
        raise InputError("QA_DATABASE_URL is set: migrate-to copies from an embedded data folder; unset it first")
    if settings.storage.chroma_url:
        raise InputError("QA_CHROMA_URL is set: migrate-to copies from the embedded vector store; unset it first")
    if not chroma_url:
        raise InputError("give the Chroma server the app servers will use: --chroma-url http://HOST:PORT")
    target_settings = settings.updated(database_url=url, chroma_url=chroma_url)
    shared = SharedParts()
    report = MigrationReport()

    def parts(base: Settings, name: str) -> Parts:
        return build_parts(base.updated(collection=name), shared=shared)

    try:
        names = [name for name, _, _ in shared.catalog(settings).records.collections()]
        for name in names:
            source = parts(settings, name)
            found = check(source.settings, source.catalog, source.store)
            if not found.ok:
                raise InputError(
                    f"collection {name!r} is not consistent in {settings.storage.data_dir}; run `qa sources verify "
                    f"--repair --collection {name}` first:\n" + "\n".join(found.lines())
                )
        target_catalog = shared.catalog(target_settings)
        taken = sorted({name for name, _, _ in target_catalog.records.collections()} & set(names))
        if taken and not replace:
            raise InputError(
                f"the servers already hold collection(s) {', '.join(map(repr, taken))}; add --replace to replace "
                "them with this folder's copy (what the servers stored in them is lost), or migrate into an "
                "empty database"
            )
        for name in names:  # both servers answer before anything is written
            parts(target_settings, name).store.count()
        with target_catalog.writer_lock(settings.ingest.writer_timeout_s, say):
            for name in names:
                _copy_collection(parts(settings, name), parts(target_settings, name), name in taken, report, say)
        # Opened first so that files from older versions are brought up to date (feedback's note column).
        shared.conversations(settings)
        shared.feedback(settings)
        report.chat_rows = _copy_chats(settings.storage.data_dir, shared.database(url))
        for name in names:
            source, target = parts(settings, name), parts(target_settings, name)
            report.checks[name] = (
                check(source.settings, source.catalog, source.store),
                check(target.settings, target.catalog, target.store),
            )
    finally:
        shared.close()
    return report


def _copy_collection(
    source: Parts, target: Parts, replace: bool, report: MigrationReport, say: Callable[[str], None]
) -> None:
    """One collection: emptied on the servers first when ``replace``; vectors, then each document with its
    chunks, text, pages and file bytes. Vectors go first: a failure midway leaves only vectors no document
    lists, which `qa sources verify --repair` (or migrate-to --replace) clears."""
    name = source.settings.storage.collection
    if replace:
        say(f"replacing collection {name!r} on the servers")
        target.store.rebuild()
        for record in target.catalog.records.sources(name):
            target.catalog.remove_source(name, record.source)
        target.catalog.journal.clear(name, target.catalog.journal.pending(name))
    say(f"copying collection {name!r}")
    for ids, vectors, sources in source.store.pages():
        target.store.upsert(ids, vectors, sources)
        report.vectors += len(ids)
    for copied in copy_documents(source.catalog, target.catalog, name):
        file = Path(copied)
        if file.is_file():  # the file as added, for the servers' page images
            target.uploads.keep(name, copied, file.name, file)
        report.documents += 1


def _copy_chats(data_dir: Path, target: Database) -> int:
    """Copy saved chats and feedback rows, keeping their ids (rows already there are updated); returns how many."""
    copied = 0
    for file_name, tables in ((conversations.FILE_NAME, CHAT_TABLES[:2]), (feedback.FILE_NAME, CHAT_TABLES[2:])):
        path = data_dir / file_name
        if not path.exists():
            continue
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            for table, columns, key in tables:
                rows = db.execute(f"SELECT {columns} FROM {table}").fetchall()
                names = [name.strip() for name in columns.split(",")]
                updates = ", ".join(f"{name} = excluded.{name}" for name in names if name not in key)
                marks = ", ".join("?" * len(names))
                with target.transaction() as writer:
                    writer.executemany(
                        f"INSERT INTO {table} ({columns}) VALUES ({marks}) ON CONFLICT ({key}) DO UPDATE SET {updates}",
                        rows,
                    )
                copied += len(rows)
    return copied
