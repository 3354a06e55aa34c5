"""Uploaded files in the server state store: the bytes of each stored upload, by SHA-256 (one copy however many
collections hold it), and which upload name each source came from. A host that did not receive a file can still
hand out its bytes; the copy on the receiving host's disk is only its working copy."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from assistant.index.postgres.connection import PgConnection, Writer


class PgUploads:
    """The uploads of every collection, in PostgreSQL."""

    def __init__(self, connection: PgConnection) -> None:
        self._connection = connection

    def keep(self, collection: str, source: str, name: str, file: Path) -> None:
        """Record a stored upload and the bytes of ``file`` (a new version replaces the old one)."""
        data = file.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        with self._connection.transaction() as db:
            replaced = db.execute(
                "SELECT sha256 FROM uploads WHERE collection = ? AND source = ?", (collection, source)
            ).fetchall()
            db.execute("INSERT INTO upload_blobs VALUES (?, ?) ON CONFLICT DO NOTHING", (digest, data))
            db.execute(
                "INSERT INTO uploads VALUES (?, ?, ?, ?, ?) ON CONFLICT (collection, source) DO UPDATE SET "
                "name = excluded.name, sha256 = excluded.sha256, uploaded_at = excluded.uploaded_at",
                (collection, source, name, digest, time.time()),
            )
            _drop_if_unused(db, [str(row[0]) for row in replaced])

    def names(self, collection: str, folder: Path) -> dict[str, tuple[str, str]]:
        """The files stored under ``folder``'s path by any host: file name -> (upload name, SHA-256)."""
        rows = self._connection.query("SELECT source, name, sha256 FROM uploads WHERE collection = ?", (collection,))
        here = folder.resolve()
        return {Path(source).name: (name, sha) for source, name, sha in rows if Path(source).parent == here}

    def read(self, collection: str, source: str) -> bytes | None:
        """The bytes of a source: an upload's from the database (whichever host received it), another file's
        from this host's disk; None when neither has it."""
        rows = self._connection.query(
            "SELECT b.data FROM uploads u JOIN upload_blobs b ON b.sha256 = u.sha256 "
            "WHERE u.collection = ? AND u.source = ?",
            (collection, source),
        )
        if rows:
            return bytes(rows[0][0])
        try:
            return Path(source).read_bytes()
        except OSError:
            return None


def forget_upload(db: Writer, collection: str, source: str) -> None:
    """Forget a removed source's upload, in the removal's transaction (its bytes too, unless another upload has
    the same)."""
    forgotten = db.execute(
        "DELETE FROM uploads WHERE collection = ? AND source = ? RETURNING sha256", (collection, source)
    ).fetchall()
    _drop_if_unused(db, [str(row[0]) for row in forgotten])


def _drop_if_unused(db: Writer, digests: list[str]) -> None:
    """Delete the bytes of ``digests`` that no upload refers to any more (only those one write let go)."""
    for digest in digests:
        db.execute(
            "DELETE FROM upload_blobs b WHERE b.sha256 = ? "
            "AND NOT EXISTS (SELECT 1 FROM uploads u WHERE u.sha256 = b.sha256)",
            (digest,),
        )
