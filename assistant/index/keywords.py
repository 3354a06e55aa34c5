"""The keyword index: SQLite FTS5 over each chunk's text, one table per collection, searched by BM25.

Its rows are written with the chunks they index, in the catalog's transactions (Catalog.replace_source,
Catalog.remove_source); a row's id is its chunk's row id in the chunks table (records.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from assistant.index.connection import Connection
from assistant.index.schema import KEYWORD_TEXT, KEYWORD_TEXT_SQL, ensure_fts, fts_table, has_table
from assistant.text import STOPWORDS, words
from assistant.types import ChunkRecord

# About how many rows a keyword query scores. FTS5 computes BM25 for every row that holds any query term,
# so at 100,000 chunks a query with a term found in a third of them ("infection" in COVID papers, "1")
# scored ~60,000 rows: ~45 ms of CPU at p50, ~100 ms at p95. When a query's rows exceed this budget, its
# terms are split into rare ones (the rarest, up to this many rows) and common ones, and only rows with
# a rare term are ranked (see Keywords.search). Smaller collections are searched as before.
KEYWORD_ROW_BUDGET = 5_000
_ROW_COUNT_CACHE = 20_000


def keyword_text(section: str, text: str) -> str:
    """What the keyword index holds for a chunk: the parts of its section path its text does not already hold
    (a sheet or deck name, a book title), then its text. A Markdown heading is in the text already; indexed a
    second time it outweighed the body ("What does Russia demand?" found the section "Supply and demand")."""
    lowered = text.lower()
    extra = [part for part in section.split(" > ") if part.strip() and part.strip().lower() not in lowered]
    return "\n".join([*extra, text]) if extra else text


def register(db: sqlite3.Connection) -> None:
    """Give a connection the SQL function keyword_text, which repairs and migrations index chunk rows with."""
    db.create_function(KEYWORD_TEXT, 2, keyword_text, deterministic=True)


def delete_rows(db: sqlite3.Connection, collection: str, source: str) -> str:
    """Delete a file's keyword rows (before its chunks, through which they are found); returns the collection's
    keyword table (now existing), for the rows of the file's new chunks."""
    table = ensure_fts(db, collection)
    db.execute(
        f"DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM chunks WHERE collection=? AND source=?)",
        (collection, source),
    )
    return table


def write_row(db: sqlite3.Connection, table: str, rowid: int, chunk: ChunkRecord) -> None:
    """Index one chunk, under its row id in the chunks table."""
    db.execute(f"INSERT INTO {table} (rowid, text) VALUES (?, ?)", (rowid, keyword_text(chunk.section, chunk.text)))


class Keywords:
    """BM25 search over each collection's keyword table, and the check and repair of its rows."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        # Rows holding each searched phrase, per keyword table: valid until the connection commits
        # (Connection.commits) or another one does (SQLite's data_version).
        self._row_counts: dict[tuple[str, str], int] = {}
        self._row_counts_version: tuple[int, int] = (-1, -1)

    def gaps(self, collection: str) -> tuple[int, int]:
        """(keyword rows without a chunk, chunks without a keyword row) of a collection."""
        table = fts_table(collection)
        with self._connection.lock:
            db = self._connection.db
            if not has_table(db, table):
                return 0, int(db.execute("SELECT count(*) FROM chunks WHERE collection=?", (collection,)).fetchone()[0])
            stray = db.execute(
                f"SELECT count(*) FROM {table} WHERE rowid NOT IN (SELECT rowid FROM chunks WHERE collection=?)",
                (collection,),
            ).fetchone()[0]
            unindexed = db.execute(
                f"SELECT count(*) FROM chunks WHERE collection=? AND rowid NOT IN (SELECT rowid FROM {table})",
                (collection,),
            ).fetchone()[0]
        return int(stray), int(unindexed)

    def repair(self, collection: str) -> None:
        """Delete keyword rows without a chunk and index chunks that have none."""
        with self._connection.transaction() as db:
            table = ensure_fts(db, collection)
            db.execute(
                f"DELETE FROM {table} WHERE rowid NOT IN (SELECT rowid FROM chunks WHERE collection=?)", (collection,)
            )
            db.execute(
                f"INSERT INTO {table} (rowid, text) SELECT rowid, {KEYWORD_TEXT_SQL} FROM chunks "
                f"WHERE collection=? AND rowid NOT IN (SELECT rowid FROM {table})",
                (collection,),
            )

    def search(
        self, collection: str, query: str, n: int, sources: Sequence[str] | None = None
    ) -> list[tuple[ChunkRecord, float]]:
        """BM25-ranked chunks for the words of ``query``, best first (score: higher is better).

        When the query's terms match more than KEYWORD_ROW_BUDGET rows, they are split into rare and common
        ones (see _split_by_rows) and three smaller searches replace the one over every row: rows with a
        rare and a common term (scored by BM25 over all the terms, a common one by its stem alone), rows by
        the rare terms alone (the exact
        score of a row without a common term, a lower bound for the others) and rows with every common term
        (exact for rows without a rare term). Each row keeps its best score. A row whose score is a lower
        bound and that is missing from the first list scored below that list's n rows, so it cannot push
        out one of them: this is the top n of a full search except for rows that hold some but not all of
        the common terms and no rare one (low-IDF matches). What is never done is scoring every row that
        holds a common term, most of a large collection's rows."""
        terms = sorted({word for word in words(query) if word not in STOPWORDS})
        if not terms:
            return []
        # Prefix queries let 'russia' find 'russian' through the porter-stemmed index.
        phrases = ['"' + term.replace('"', "") + '"' + ("*" if len(term) >= 5 else "") for term in terms]
        table = fts_table(collection)
        with self._connection.lock:
            if not has_table(self._connection.db, table):
                return []
            rare, common = self._split_by_rows(table, phrases)
            if not rare:
                return []
            if not common:
                rows = self._ranked(table, collection, " OR ".join(rare), n, sources)
            else:
                either = " OR ".join(rare)
                # Common terms match their own stem only: a prefix query merges the lists of every indexed
                # word it starts, which for a common stem ("infect*") costs more than the search it serves.
                common = [phrase.rstrip("*") for phrase in common]
                matches = [f"({either}) AND ({' OR '.join(common)})", either]
                if len(common) > 1:
                    matches.append(" AND ".join(common))
                # Each query gives every row either its exact score or a lower bound; keep each row's best.
                best: dict[object, tuple[object, ...]] = {}
                for match in matches:
                    for row in self._ranked(table, collection, match, n, sources):
                        if row[0] not in best or row[7] < best[row[0]][7]:  # type: ignore[operator]
                            best[row[0]] = row
                rows = sorted(best.values(), key=lambda row: row[7])  # type: ignore[arg-type, return-value]
        return [(ChunkRecord(*row[:7]), -float(row[7])) for row in rows[:n]]  # type: ignore[arg-type]

    def _ranked(
        self, table: str, collection: str, match: str, n: int, sources: Sequence[str] | None
    ) -> list[tuple[object, ...]]:
        """The best n chunk rows for an FTS5 query, with FTS5's rank (lower is better) as the last column."""
        columns = 'c.chunk_id, c.source, c.start, c."end", c.page, c.text, c.section'
        if sources:
            marks = ",".join("?" * len(sources))
            sql = (
                f"SELECT {columns}, bm25({table}) AS rank FROM {table} JOIN chunks c ON c.rowid = {table}.rowid "
                f"WHERE {table} MATCH ? AND c.collection = ? AND c.source IN ({marks}) ORDER BY rank LIMIT ?"
            )
            params: list[object] = [match, collection, *sources, n]
        else:
            # FTS5 ranks and cuts to n by itself; only those n rows are then read from the chunks table.
            sql = (
                f"SELECT {columns}, r.rank FROM (SELECT rowid, rank FROM {table} WHERE {table} MATCH ? "
                f"ORDER BY rank LIMIT ?) r JOIN chunks c ON c.rowid = r.rowid WHERE c.collection = ? ORDER BY r.rank"
            )
            params = [match, n, collection]
        return self._connection.db.execute(sql, params).fetchall()

    def _rows(self, table: str, phrase: str) -> int:
        """How many rows of a keyword table hold a phrase (cached; see _split_by_rows)."""
        key = (table, phrase)
        if key not in self._row_counts:
            self._row_counts[key] = int(
                self._connection.db.execute(
                    f"SELECT count(*) FROM {table} WHERE {table} MATCH ?", (phrase,)
                ).fetchone()[0]
            )
        return self._row_counts[key]

    def _split_by_rows(self, table: str, phrases: Sequence[str]) -> tuple[list[str], list[str]]:
        """The phrases found in some row, as (rare, common): rare are the rarest while the rows they match add
        up to at most KEYWORD_ROW_BUDGET (at least one), common the rest. Row counts are kept until the
        catalog changes."""
        data_version = int(self._connection.db.execute("PRAGMA data_version").fetchone()[0])
        version = (data_version, self._connection.commits)
        if version != self._row_counts_version or len(self._row_counts) > _ROW_COUNT_CACHE:
            self._row_counts.clear()
            self._row_counts_version = version
        counts = {phrase: self._rows(table, phrase) for phrase in phrases}
        found = sorted((p for p in phrases if counts[p]), key=lambda p: (counts[p], p))
        rare: list[str] = []
        rows = 0
        for phrase in found:
            if rare and rows + counts[phrase] > KEYWORD_ROW_BUDGET:
                break
            rare.append(phrase)
            rows += counts[phrase]
        return sorted(rare), sorted(found[len(rare) :])
