"""The catalog in PostgreSQL: the same parts as the SQLite catalog (assistant/index/catalog.py), with the keyword
index of assistant/index/postgres/keywords.py and the writer lock of assistant/index/postgres/locking.py.

Records, journal and texts are the SQLite catalog's own classes: their SQL runs on both databases. A file's
record, chunks, keyword rows and text change in one transaction, as in SQLite, so another server sees the old
version or the new one, never a mix; its vectors are made safe by the journal the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager

from assistant.faults import checkpoint
from assistant.index import records
from assistant.index.journal import Journal, write_pending
from assistant.index.postgres import keywords
from assistant.index.postgres.connection import PgConnection
from assistant.index.postgres.keywords import PgKeywords
from assistant.index.postgres.locking import advisory_writer_lock
from assistant.index.postgres.uploads import forget_upload
from assistant.index.records import Records
from assistant.index.texts import Texts
from assistant.types import ChunkRecord

# Chunks written per keyword-index batch: large enough for few round trips, small enough to keep a long table's
# chunks (a generator) from all being held at once.
_BATCH = 500


class PgCatalog:
    """The catalog of a server state store: records, journal, keyword index and texts over one PgConnection (owned
    by the composition root, which closes it)."""

    def __init__(self, connection: PgConnection) -> None:
        self._connection = connection
        self.records = Records(connection)
        self.journal = Journal(connection)
        self.keywords = PgKeywords(connection)
        self.texts = Texts(connection)

    @property
    def read_only(self) -> bool:
        """Never: a server that cannot write says so on the write."""
        return False

    def close(self) -> None:
        """Nothing to close: the connection is the composition root's."""

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads in the block see one committed state, whatever other servers commit meanwhile."""
        with self._connection.snapshot():
            yield

    def writer_lock(self, timeout_s: float, say: Callable[[str], None] | None = None) -> AbstractContextManager[None]:
        """The one-writer lock of every server using this database (an advisory lock)."""
        return advisory_writer_lock(self._connection.url, timeout_s, say)

    def replace_source(
        self,
        collection: str,
        source: str,
        sha256: str,
        text: str,
        page_starts: Sequence[int],
        chunks: Iterable[ChunkRecord],
        stale_vectors: Sequence[str] = (),
    ) -> int:
        """As Catalog.replace_source: swap a file's record, chunks, keyword rows and text atomically."""
        count = 0
        with self._connection.transaction() as db:
            write_pending(db, collection, stale_vectors)
            records.delete_chunks(db, collection, source)  # its keyword rows go with them (a trigger)
            records.write_document(db, collection, source, sha256, text, page_starts)
            batch: list[tuple[int, ChunkRecord]] = []
            for chunk in chunks:
                count += 1
                batch.append((records.write_chunk(db, collection, source, chunk), chunk))
                if len(batch) >= _BATCH:
                    keywords.write_rows(db, collection, batch)
                    batch = []
            keywords.write_rows(db, collection, batch)
            records.write_chunk_count(db, collection, source, count)
            checkpoint("commit")
        return count

    def remove_source(self, collection: str, source: str, stale_vectors: Sequence[str] = ()) -> list[str]:
        """As Catalog.remove_source: forget a file; returns the ids of the chunks it had."""
        with self._connection.transaction() as db:
            write_pending(db, collection, stale_vectors)
            ids = [
                str(row[0])
                for row in db.execute(
                    "SELECT chunk_id FROM chunks WHERE collection=? AND source=?", (collection, source)
                ).fetchall()
            ]
            records.delete_chunks(db, collection, source)
            records.delete_document(db, collection, source)
            forget_upload(db, collection, source)
        return ids
