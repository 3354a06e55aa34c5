"""The pending-delete journal: vectors to delete from the store, noted in the catalog before they are deleted.

A vector is noted when the chunk it belongs to is replaced or removed (in the same commit, so a crash before the
vector store is told cannot leave it behind for good) and, during an ingest, before a batch is upserted (until
its files' commits list the chunks). The ingest and `qa sources verify --repair` delete what is noted, then
clear it (see ingest.indexer.Indexer._delete_pending).
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.index.connection import Cursor, Database


def write_pending(db: Cursor, collection: str, vector_ids: Sequence[str]) -> None:
    """Note vectors as pending deletion inside a transaction the caller holds."""
    db.executemany(
        "INSERT INTO pending_deletes VALUES (?, ?) ON CONFLICT DO NOTHING",
        [(collection, vector_id) for vector_id in vector_ids],
    )


class Journal:
    """The vectors of each collection that are noted for deletion."""

    def __init__(self, connection: Database) -> None:
        self._connection = connection

    def note(self, collection: str, vector_ids: Sequence[str]) -> None:
        """Note vectors as pending deletion unless a commit lists their chunks (written before an upsert)."""
        with self._connection.transaction() as db:
            write_pending(db, collection, vector_ids)

    def pending(self, collection: str) -> list[str]:
        """Vectors noted for deletion: those of replaced or removed versions, and those of an ingest's batch
        until its files' commits list their chunks (the ingest deletes the rest, see Indexer._delete_pending)."""
        rows = self._connection.query(
            "SELECT vector_id FROM pending_deletes WHERE collection=? ORDER BY vector_id", (collection,)
        )
        return [str(row[0]) for row in rows]

    def clear(self, collection: str, vector_ids: Sequence[str]) -> None:
        """Forget pending deletions that were carried out (or, for listed chunks, are no longer wanted)."""
        with self._connection.transaction() as db:
            db.executemany(
                "DELETE FROM pending_deletes WHERE collection=? AND vector_id=?", [(collection, v) for v in vector_ids]
            )
