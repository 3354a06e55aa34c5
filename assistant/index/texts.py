"""Document text and pages: the loaded text of each file, which chunk offsets point into, and where its pages
start. Both are written with the file's record (records.write_document), in the same row."""

from __future__ import annotations

import bisect
import json

from assistant.index.connection import Database


class Texts:
    """The text of an ingested file and the page of an offset in it."""

    def __init__(self, connection: Database) -> None:
        self._connection = connection

    def text_of(self, collection: str, source: str) -> str | None:
        """The loaded text of a file, which chunk offsets point into."""
        rows = self._connection.query(
            "SELECT text FROM documents WHERE collection=? AND source=?", (collection, source)
        )
        return str(rows[0][0]) if rows else None

    def page_starts(self, collection: str, source: str) -> list[int]:
        """Where each page of a file starts in its text (empty when its format has no pages)."""
        rows = self._connection.query(
            "SELECT page_starts FROM documents WHERE collection=? AND source=?", (collection, source)
        )
        return [int(start) for start in json.loads(str(rows[0][0]))] if rows else []

    def page_at(self, collection: str, source: str, offset: int) -> int | None:
        """The 1-based page holding character ``offset`` of a file, or None when its format has no pages."""
        starts = self.page_starts(collection, source)
        return bisect.bisect_right(starts, offset) if starts else None
