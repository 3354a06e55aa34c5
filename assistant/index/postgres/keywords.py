"""The keyword index of the server state store: BM25 over tables in PostgreSQL, ranking as the SQLite catalog's FTS5
index ranks (assistant/index/keywords.py).

A chunk's keyword text (keywords.keyword_text: the section parts its text lacks, then its text) is cut into terms
in Python as FTS5's ``porter unicode61`` tokenizer cuts it (tokens.py). The tables (schema.py,
``_keyword_tables``) hold how often each term occurs in each chunk, with the chunk's length in terms; BM25 is
FTS5's (k1 = 1.2, b = 0.75, an IDF of at least 1e-6) over each collection's own statistics (chunk count, mean
length, rows per phrase). Queries are FTS5's too: each word of the question that is not a stopword is a phrase,
a prefix for words of five letters or more ("russia" finds "russian"), and a query whose phrases hold more rows
than KEYWORD_ROW_BUDGET is split into rare and common phrases as Keywords.search splits it, so that both stores
put the same chunks first.

A search reads, for each of its phrases, the rows holding it (row ids, hits, lengths; one aggregate query per
phrase) and ranks in numpy. Those lists and the statistics are kept by each server per collection until the
collection's version (a row bumped by every write of its keyword rows and every delete of its chunks, whichever
server made it) changes, within a budget of KEPT_POSTINGS; a common word's list of tens of thousands of rows is
read once, not at every search.

Rows are written by write_rows in the catalog's transaction, under the chunk's row id in ``chunks``; deleting
chunks deletes their keyword rows (a trigger on ``chunks``, schema.py).
"""

from __future__ import annotations

import math
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from assistant.index.keywords import KEYWORD_ROW_BUDGET, keyword_text
from assistant.index.postgres.connection import PgConnection, Writer
from assistant.index.postgres.tokens import tokens
from assistant.text import STOPWORDS, words
from assistant.types import ChunkRecord

K1 = 1.2
B = 0.75
MIN_IDF = 1e-6  # FTS5's IDF for a phrase in more than half the rows
# Rows of phrase lists a server keeps (~16 bytes each), over all collections; the least recently used go first.
KEPT_POSTINGS = 2_000_000
_REPAIR_BATCH = 500
_CHUNK_COLUMNS = 'rowid, chunk_id, source, start, "end", page, text, section'
# One phrase's rows as four byte strings: row ids (int8), hits (int4), lengths (int4), whether the term is the
# phrase's own (bool), each big-endian, in the same row order.
_LIST_COLUMNS = (
    "string_agg(int8send(chunk), ''), string_agg(int4send(tf), ''), string_agg(int4send(length), ''), "
    "string_agg(boolsend(term = ?), '')"
)

Ints = NDArray[np.int64]  # row ids
Counts = NDArray[np.int32]  # hits, lengths
Floats = NDArray[np.float64]


def write_rows(db: Writer, collection: str, rows: Sequence[tuple[int, ChunkRecord]]) -> None:
    """Index chunks written in the same transaction, each under its row id in ``chunks``."""
    if not rows:
        return
    collection_id = _bump(db, collection)
    lengths: list[tuple[int, int, int]] = []
    postings: list[tuple[int, int, int, int, str]] = []
    for rowid, chunk in rows:
        terms = tokens(keyword_text(chunk.section, chunk.text))
        lengths.append((rowid, collection_id, len(terms)))
        postings.extend((rowid, collection_id, tf, len(terms), term) for term, tf in Counter(terms).items())
    with db.cursor.copy("COPY keyword_chunks (chunk, collection_id, length) FROM STDIN") as copy:
        for length_row in lengths:
            copy.write_row(length_row)
    with db.cursor.copy("COPY keyword_postings (chunk, collection_id, tf, length, term) FROM STDIN") as copy:
        for posting in postings:
            copy.write_row(posting)


def _bump(db: Writer, collection: str) -> int:
    """The collection's number in the keyword tables, its version bumped (the row is made on its first chunk)."""
    rows = db.execute(
        "INSERT INTO keyword_collections (collection) VALUES (?) ON CONFLICT (collection) "
        "DO UPDATE SET version = keyword_collections.version + 1 RETURNING id",
        (collection,),
    ).fetchall()
    return int(rows[0][0])


@dataclass(frozen=True)
class _Phrase:
    """One phrase of an FTS5 query: ``text`` as FTS5 is given it ('"russia"*'), its terms, and whether the last
    term is a prefix."""

    text: str
    terms: tuple[str, ...]
    prefix: bool

    def exact(self) -> _Phrase:
        return _Phrase(self.text.rstrip("*"), self.terms, False)


@dataclass(frozen=True)
class _Rows:
    """The rows holding a phrase, ascending, with the phrase's hits in each and each row's length in terms."""

    rows: Ints
    hits: Counts
    lengths: Counts

    def hits_in(self, rows: Ints) -> Counts:
        """The phrase's hits in each of ``rows`` (ascending), 0 where it is not."""
        if not len(self.rows):
            return np.zeros(len(rows), dtype=np.int32)
        at = np.minimum(np.searchsorted(self.rows, rows), len(self.rows) - 1)
        found: Counts = np.where(self.rows[at] == rows, self.hits[at], 0).astype(np.int32)
        return found


_NONE = _Rows(np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int32))


@dataclass(frozen=True)
class _Collection:
    """A collection's statistics at one version."""

    collection_id: int
    version: int
    rows: int
    mean_length: float


class PgKeywords:
    """BM25 search over each collection's keyword rows, and the check and repair of those rows."""

    def __init__(self, connection: PgConnection) -> None:
        self._connection = connection
        # Used under the connection's lock, which a search holds throughout (its snapshot).
        self._collections: dict[str, _Collection] = {}
        self._lists: OrderedDict[tuple[str, tuple[str, ...], bool], _Rows] = OrderedDict()
        self._kept = 0

    def gaps(self, collection: str) -> tuple[int, int]:
        """(keyword rows without a chunk, chunks without a keyword row) of a collection."""
        with self._connection.snapshot():
            stray = self._connection.query(
                "SELECT count(*) FROM keyword_chunks k JOIN keyword_collections c ON c.id = k.collection_id "
                "WHERE c.collection = ? AND NOT EXISTS (SELECT 1 FROM chunks WHERE chunks.rowid = k.chunk)",
                (collection,),
            )[0][0]
            unindexed = self._connection.query(
                "SELECT count(*) FROM chunks WHERE collection = ? "
                "AND NOT EXISTS (SELECT 1 FROM keyword_chunks k WHERE k.chunk = chunks.rowid)",
                (collection,),
            )[0][0]
        return int(stray), int(unindexed)

    def repair(self, collection: str) -> None:
        """Delete keyword rows without a chunk and index chunks that have none."""
        with self._connection.transaction() as db:
            stray = [
                int(row[0])
                for row in db.execute(
                    "SELECT k.chunk FROM keyword_chunks k JOIN keyword_collections c ON c.id = k.collection_id "
                    "WHERE c.collection = ? AND NOT EXISTS (SELECT 1 FROM chunks WHERE chunks.rowid = k.chunk)",
                    (collection,),
                ).fetchall()
            ]
            if stray:
                db.execute("DELETE FROM keyword_postings WHERE chunk = ANY(?::bigint[])", (stray,))
                db.execute("DELETE FROM keyword_chunks WHERE chunk = ANY(?::bigint[])", (stray,))
                _bump(db, collection)
            unindexed = [
                int(row[0])
                for row in db.execute(
                    "SELECT rowid FROM chunks WHERE collection = ? "
                    "AND NOT EXISTS (SELECT 1 FROM keyword_chunks k WHERE k.chunk = chunks.rowid) ORDER BY rowid",
                    (collection,),
                ).fetchall()
            ]
            for start in range(0, len(unindexed), _REPAIR_BATCH):
                batch = unindexed[start : start + _REPAIR_BATCH]
                found = db.execute(
                    f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE rowid = ANY(?::bigint[]) ORDER BY rowid", (batch,)
                ).fetchall()
                write_rows(db, collection, [(int(row[0]), ChunkRecord(*row[1:])) for row in found])

    def search(
        self, collection: str, query: str, n: int, sources: Sequence[str] | None = None
    ) -> list[tuple[ChunkRecord, float]]:
        """BM25-ranked chunks for the words of ``query``, best first (score: higher is better), as
        Keywords.search ranks them in SQLite: the same phrases, statistics and scores, and the same split into
        rare and common phrases when they hold more than KEYWORD_ROW_BUDGET rows (see there)."""
        terms = sorted({word for word in words(query) if word not in STOPWORDS})
        if not terms or n <= 0:
            return []
        phrases = [
            _Phrase(
                '"' + term.replace('"', "") + '"' + ("*" if len(term) >= 5 else ""), tuple(tokens(term)), len(term) >= 5
            )
            for term in terms
        ]
        with self._connection.snapshot():
            statistics = self._statistics(collection)
            if statistics is None or not statistics.rows:
                return []
            found = {phrase.text: self._rows(collection, statistics, phrase) for phrase in phrases}
            rare, common = _split(phrases, {text: len(rows.rows) for text, rows in found.items()})
            if not rare:
                return []
            common = [phrase.exact() for phrase in common]
            lists = found | {phrase.text: self._rows(collection, statistics, phrase) for phrase in common}
            only = (lambda rows: self._allowed(rows, sources)) if sources else None
            ranked = _Ranking(statistics, lists, only)
            return self._records(ranked.best(rare, common, n))

    def _statistics(self, collection: str) -> _Collection | None:
        """The collection's statistics as of its version now (read again, and its kept lists dropped, when
        another write happened)."""
        found = self._connection.query(
            "SELECT id, version FROM keyword_collections WHERE collection = ?", (collection,)
        )
        if not found:
            return None
        collection_id, version = int(found[0][0]), int(found[0][1])
        kept = self._collections.get(collection)
        if kept is not None and (kept.collection_id, kept.version) == (collection_id, version):
            return kept
        for key in [key for key in self._lists if key[0] == collection]:
            self._kept -= len(self._lists.pop(key).rows)
        rows, total = self._connection.query(
            "SELECT count(*), coalesce(sum(length), 0) FROM keyword_chunks WHERE collection_id = ?", (collection_id,)
        )[0]
        statistics = _Collection(collection_id, version, int(rows), int(total) / int(rows) if rows else 0.0)
        self._collections[collection] = statistics
        return statistics

    def _rows(self, collection: str, statistics: _Collection, phrase: _Phrase) -> _Rows:
        """The rows holding a phrase (kept while the collection's version holds)."""
        key = (collection, phrase.terms, phrase.prefix)
        if key in self._lists:
            self._lists.move_to_end(key)
            return self._lists[key]
        if not phrase.terms:
            return _NONE
        if len(phrase.terms) == 1:
            rows, exact = self._read(statistics, phrase.terms[0], phrase.prefix)
            if phrase.prefix:
                self._keep((collection, phrase.terms, False), exact)
        else:
            rows = self._phrase_rows(collection, statistics, phrase)
        self._keep(key, rows)
        return rows

    def _keep(self, key: tuple[str, tuple[str, ...], bool], rows: _Rows) -> None:
        if key in self._lists:
            return
        self._lists[key] = rows
        self._kept += len(rows.rows)
        while self._kept > KEPT_POSTINGS and len(self._lists) > 1:
            self._kept -= len(self._lists.popitem(last=False)[1].rows)

    def _read(self, statistics: _Collection, term: str, prefix: bool) -> tuple[_Rows, _Rows]:
        """The rows holding ``term`` (any term starting with it, if ``prefix``), and those holding ``term``
        itself."""
        if prefix:
            where, bounds = "term >= ? AND term < ?", [term, _after(term)]
        else:
            where, bounds = "term = ?", [term]
        found = self._connection.query(
            f"SELECT {_LIST_COLUMNS} FROM keyword_postings WHERE collection_id = ? AND {where}",
            (term, statistics.collection_id, *bounds),
        )[0]
        if found[0] is None:
            return _NONE, _NONE
        rows = np.frombuffer(found[0], ">i8").astype(np.int64)
        hits = np.frombuffer(found[1], ">i4").astype(np.int32)
        lengths = np.frombuffer(found[2], ">i4").astype(np.int32)
        own = np.frombuffer(found[3], np.bool_)
        order = np.argsort(rows, kind="stable")
        rows, hits, lengths, own = rows[order], hits[order], lengths[order], own[order]
        exact = _Rows(rows[own], hits[own], lengths[own])
        if not prefix:
            return exact, exact
        # A row may hold several terms with the prefix: its hits are their sum.
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        return _Rows(rows[starts], np.add.reduceat(hits, starts), lengths[starts]), exact

    def _phrase_rows(self, collection: str, statistics: _Collection, phrase: _Phrase) -> _Rows:
        """The rows holding a phrase of several terms in a row, with how often: the rows holding all its terms,
        checked in their text."""
        parts = [
            self._rows(collection, statistics, _Phrase(term, (term,), phrase.prefix and i == len(phrase.terms) - 1))
            for i, term in enumerate(phrase.terms)
        ]
        candidates = parts[0].rows
        for part in parts[1:]:
            candidates = np.intersect1d(candidates, part.rows, assume_unique=True)
        if not len(candidates):
            return _NONE
        texts = self._connection.query(
            "SELECT rowid, section, text FROM chunks WHERE rowid = ANY(?::bigint[]) ORDER BY rowid",
            (candidates.tolist(),),
        )
        size, head, last = len(phrase.terms), list(phrase.terms[:-1]), phrase.terms[-1]
        held: dict[int, int] = {}
        for rowid, section, text in texts:
            found = tokens(keyword_text(section, text))
            count = sum(
                1
                for i in range(len(found) - size + 1)
                if found[i : i + size - 1] == head
                and (found[i + size - 1].startswith(last) if phrase.prefix else found[i + size - 1] == last)
            )
            if count:
                held[int(rowid)] = count
        rows = np.array(sorted(held), dtype=np.int64)
        hits = np.array([held[row] for row in sorted(held)], dtype=np.int32)
        at = np.searchsorted(parts[0].rows, rows)
        return _Rows(rows, hits, parts[0].lengths[at])

    def _allowed(self, rows: Ints, sources: Sequence[str]) -> Ints:
        """The rows of ``rows`` (ascending) whose chunks come from one of ``sources``."""
        if not len(rows):
            return rows
        found = self._connection.query(
            "SELECT rowid FROM chunks WHERE rowid = ANY(?::bigint[]) AND source = ANY(?::text[]) ORDER BY rowid",
            (rows.tolist(), list(sources)),
        )
        return np.array([int(row[0]) for row in found], dtype=np.int64)

    def _records(self, ranked: list[tuple[int, float]]) -> list[tuple[ChunkRecord, float]]:
        if not ranked:
            return []
        found = {
            int(row[0]): ChunkRecord(*row[1:])
            for row in self._connection.query(
                f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE rowid = ANY(?::bigint[])", ([chunk for chunk, _ in ranked],)
            )
        }
        return [(found[chunk], score) for chunk, score in ranked if chunk in found]


def _split(phrases: Sequence[_Phrase], counts: dict[str, int]) -> tuple[list[_Phrase], list[_Phrase]]:
    """As Keywords._split_by_rows: the phrases found in some row, as (rare, common), each in the order of their
    text: rare are the rarest while the rows they hold add up to at most KEYWORD_ROW_BUDGET (at least one)."""
    found = sorted((p for p in phrases if counts[p.text]), key=lambda p: (counts[p.text], p.text))
    rare: list[_Phrase] = []
    rows = 0
    for phrase in found:
        if rare and rows + counts[phrase.text] > KEYWORD_ROW_BUDGET:
            break
        rare.append(phrase)
        rows += counts[phrase.text]
    return sorted(rare, key=lambda p: p.text), sorted(found[len(rare) :], key=lambda p: p.text)


class _Ranking:
    """The searches of Keywords.search over phrase lists, each scored by FTS5's bm25()."""

    def __init__(self, statistics: _Collection, lists: dict[str, _Rows], only: Callable[[Ints], Ints] | None) -> None:
        self._statistics = statistics
        self._lists = lists
        self._only = only  # keeps the rows of the sources searched

    def best(self, rare: list[_Phrase], common: list[_Phrase], n: int) -> list[tuple[int, float]]:
        """(row id, score) of the best n rows, best first. Without common phrases: the rows holding a rare one.
        With them: the best rows holding a rare and a common phrase (scored by all), by the rare ones alone,
        and (with more than one common phrase) holding every common one (scored by those); each row keeps its
        best score, as Keywords.search merges its three searches."""
        either = self._filtered(np.unique(np.concatenate([self._lists[p.text].rows for p in rare])))
        lengths = self._lengths(either, rare)
        rare_scores = self._scores(rare, either, lengths)
        searches = [_top(either, rare_scores, n)]
        if common:
            common_hits = [self._lists[p.text].hits_in(either) for p in common]
            both = np.logical_or.reduce(common_hits) if common_hits else np.zeros(len(either), dtype=bool)
            scores = rare_scores.copy()
            for phrase, hits in zip(common, common_hits, strict=True):
                scores += self._idf(phrase) * _saturation(hits, lengths, self._statistics.mean_length)
            searches.insert(0, _top(either[both], scores[both], n))
            if len(common) > 1:
                every = self._lists[common[0].text].rows
                for phrase in common[1:]:
                    every = np.intersect1d(every, self._lists[phrase.text].rows, assume_unique=True)
                every = self._filtered(every)
                searches.append(_top(every, self._scores(common, every, self._lengths(every, common)), n))
        best: dict[int, float] = {}
        for ranked in searches:
            for row, score in ranked:
                if row not in best or score > best[row]:
                    best[row] = score
        return sorted(best.items(), key=lambda item: -item[1])[:n]

    def _filtered(self, rows: Ints) -> Ints:
        return self._only(rows) if self._only is not None else rows

    def _lengths(self, rows: Ints, phrases: list[_Phrase]) -> Counts:
        """Each row's length in terms, from the lists of the phrases it holds (it holds one of them)."""
        lengths = np.zeros(len(rows), dtype=np.int32)
        for phrase in phrases:
            found = self._lists[phrase.text]
            at = np.searchsorted(rows, found.rows)
            inside = at < len(rows)
            inside[inside] = rows[at[inside]] == found.rows[inside]
            lengths[at[inside]] = found.lengths[inside]
        return lengths

    def _scores(self, phrases: list[_Phrase], rows: Ints, lengths: Counts) -> Floats:
        """FTS5's bm25() of each row over ``phrases``: in query order, the sum of idf * tf (k1 + 1) / (tf + k1 (1 -
        b + b * length / mean length))."""
        scores = np.zeros(len(rows), dtype=np.float64)
        for phrase in phrases:
            hits = self._lists[phrase.text].hits_in(rows)
            scores += self._idf(phrase) * _saturation(hits, lengths, self._statistics.mean_length)
        return scores

    def _idf(self, phrase: _Phrase) -> float:
        held = len(self._lists[phrase.text].rows)
        idf = math.log((self._statistics.rows - held + 0.5) / (held + 0.5))
        return idf if idf > 0 else MIN_IDF


def _saturation(hits: Counts, lengths: Counts, mean: float) -> Floats:
    tf = hits.astype(np.float64)
    result: Floats = (tf * (K1 + 1.0)) / (tf + K1 * (1 - B + B * lengths.astype(np.float64) / mean))
    return result


def _top(rows: Ints, scores: Floats, n: int) -> list[tuple[int, float]]:
    """The n best (row id, score), best first; equal scores by row id."""
    order = np.lexsort((rows, -scores))[:n]
    return [(int(rows[i]), float(scores[i])) for i in order]


def _after(prefix: str) -> str:
    """The first string after every string that starts with ``prefix``, in code point order (that of "C")."""
    last = ord(prefix[-1]) + 1
    if 0xD800 <= last < 0xE000:
        last = 0xE000
    return prefix[:-1] + chr(min(last, 0x10FFFF))
