"""The PostgreSQL keyword index against a real server: it ranks as the SQLite FTS5 index does on the project's
sample corpus (same chunks, same order, same BM25 scores), its terms are FTS5's, prefixes and stems match,
each collection keeps its own statistics, the sources filter holds, deleted chunks leave no keyword row,
gaps are found and repaired, and a second server sees what the first one wrote."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.index import keywords as sqlite_keywords
from assistant.index.catalog import Catalog
from assistant.index.keywords import keyword_text
from assistant.index.postgres import keywords as pg_keywords
from assistant.index.postgres.catalog import PgCatalog
from assistant.index.postgres.connection import PgConnection
from assistant.index.postgres.keywords import PgKeywords
from assistant.index.postgres.schema import migrate
from assistant.index.postgres.tokens import tokens
from assistant.settings import Settings
from assistant.types import ChunkRecord
from ingest.chunker import chunk_document
from ingest.loaders import load_document

CORPUS = Path(__file__).resolve().parents[2] / "eval" / "corpus"
QUESTIONS = [
    "What does Russia demand from NATO?",
    "What are Russia's demands?",
    "When did Go reach Japan and the imperial court?",
    "How often should a sourdough starter be fed?",
    "What is the remote work policy for international employees?",
    "How many hives does a beginner beekeeper need?",
    "What did the water report find about lead in Harbor City?",
    "What security guarantee did Zelensky ask for?",
    "Who proposed a ceasefire in Paris?",
    "When did Ukraine apply to join NATO?",
    "Don't bees sting in the winter?",
    "What is the hydration of the dough?",
    "stones captured surrounded board Lee Sedol",
    "zzzz qqqq",
    "the of and",
]


@dataclass
class Stores:
    sqlite: Catalog
    postgres: PgCatalog
    connection: PgConnection
    url: str


def write(stores: Stores, collection: str, source: str, text: str, chunks: list[ChunkRecord]) -> None:
    digest = hashlib.sha256(text.encode()).hexdigest()
    stores.sqlite.replace_source(collection, source, digest, text, [], chunks)
    stores.postgres.replace_source(collection, source, digest, text, [], chunks)


def write_text(stores: Stores, collection: str, source: str, text: str, section: str = "") -> None:
    write(stores, collection, source, text, [ChunkRecord(f"{source}#0", source, 0, len(text), None, text, section)])


@pytest.fixture
def stores(postgres_url: str, tmp_path: Path) -> Iterator[Stores]:
    connection = PgConnection(postgres_url)
    migrate(connection)
    found = Stores(Catalog(tmp_path / "catalog.sqlite3"), PgCatalog(connection), connection, postgres_url)
    yield found
    found.sqlite.close()
    connection.close()


@pytest.fixture
def corpus(stores: Stores) -> Stores:
    """The sample corpus, loaded and chunked by the project's own loader and chunker, in both stores."""
    settings = Settings()
    for path in sorted(CORPUS.iterdir()):
        document = load_document(path, path.read_bytes())
        chunks = chunk_document(document, settings.ingest.chunk_size, settings.ingest.chunk_overlap)
        write(stores, "docs", document.source, document.text, chunks)
    return stores


def ranking(found: list[tuple[ChunkRecord, float]]) -> list[str]:
    return [record.chunk_id for record, _ in found]


def assert_same(sqlite_found: list[tuple[ChunkRecord, float]], pg_found: list[tuple[ChunkRecord, float]]) -> None:
    assert ranking(pg_found) == ranking(sqlite_found)
    assert [record for record, _ in pg_found] == [record for record, _ in sqlite_found]
    for (_, expected), (_, score) in zip(sqlite_found, pg_found, strict=True):
        assert score == pytest.approx(expected, rel=1e-9)


def test_the_same_chunks_come_first_with_the_same_scores_as_in_sqlite(corpus: Stores) -> None:
    found_any = 0
    for question in QUESTIONS:
        expected = corpus.sqlite.keywords.search("docs", question, 10)
        found = corpus.postgres.keywords.search("docs", question, 10)
        assert_same(expected, found)
        found_any += bool(found)
    assert found_any >= len(QUESTIONS) - 2  # the nonsense and the all-stopword questions find nothing


def test_queries_split_into_rare_and_common_words_rank_as_in_sqlite(
    corpus: Stores, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A budget of a few rows makes the questions take the path of a large collection: its three searches.
    for budget in (2, 6, 15, 40):
        for module in (sqlite_keywords, pg_keywords):
            monkeypatch.setattr(module, "KEYWORD_ROW_BUDGET", budget)
        for question in QUESTIONS:
            for n in (3, 10):
                expected = corpus.sqlite.keywords.search("docs", question, n)
                assert_same(expected, corpus.postgres.keywords.search("docs", question, n))


def test_the_sources_filter_keeps_only_those_files_ranked_as_in_sqlite(corpus: Stores) -> None:
    sources = [record.source for record in corpus.postgres.records.sources("docs")]
    wanted = [source for source in sources if "nato" in source]
    for question in QUESTIONS[:10]:
        found = corpus.postgres.keywords.search("docs", question, 10, sources=wanted)
        assert {record.source for record, _ in found} <= set(wanted)
        assert_same(corpus.sqlite.keywords.search("docs", question, 10, sources=wanted), found)
    assert corpus.postgres.keywords.search("docs", "sourdough starter", 10, sources=wanted) == []


def test_the_terms_are_those_of_fts5_porter_unicode61(corpus: Stores) -> None:
    texts = [keyword_text(chunk.section, chunk.text) for chunk in corpus.postgres.records.collection_chunks("docs")]
    texts += [
        "Café NAÏVE façade Ærøskøbing µg/ml 10µm Straße \u017ftop İstanbul hưng ΦΆΓΟΣ",
        "COVID-19 SARS-CoV-2 o'neill don't it's 3.5% x2 ab_cd e\u0301t\u00e9 \u0301start",
        "generalization relational conditional happily probably sensibility agreed feed plastered motoring",
        "ies sses ss a as is bys cries skies hoping hopping filing failing dying lying tying",
        "a" * 70 + " " + "b" * 64 + "ing",
    ]
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(text, tokenize = 'porter unicode61')")
    db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    db.executemany("INSERT INTO t (rowid, text) VALUES (?, ?)", list(enumerate(texts, start=1)))
    theirs: dict[int, list[str]] = {}
    for term, row in db.execute("SELECT term, doc FROM v ORDER BY doc, offset"):
        theirs.setdefault(row, []).append(term)
    for row, text in enumerate(texts, start=1):
        assert tokens(text) == theirs.get(row, []), text[:80]


def test_a_word_finds_its_longer_forms_and_a_plural_its_stem(stores: Stores) -> None:
    write_text(stores, "news", "/russian.txt", "The Russian delegation left early.")
    write_text(stores, "news", "/demand.txt", "Their first demand was a ceasefire.")
    write_text(stores, "news", "/other.txt", "Bees make honey in summer.")
    for question, source in (("russia", "/russian.txt"), ("What were the demands?", "/demand.txt")):
        found = stores.postgres.keywords.search("news", question, 5)
        assert [record.source for record, _ in found] == [source]
        assert_same(stores.sqlite.keywords.search("news", question, 5), found)


def test_another_collection_changes_neither_the_scores_nor_the_results(stores: Stores) -> None:
    write_text(stores, "a", "/ferry.txt", "The harbour ferry leaves every 40 minutes from the north pier.")
    write_text(stores, "a", "/lamp.txt", "The lighthouse lamp was automated in 1989.")
    before = stores.postgres.keywords.search("a", "harbour ferry", 5)
    for number in range(20):
        write_text(stores, "b", f"/b{number}.txt", f"Ferry number {number} crosses the harbour at dawn.")
    after = stores.postgres.keywords.search("a", "harbour ferry", 5)
    assert ranking(after) == ranking(before) == ["/ferry.txt#0"]
    assert after[0][1] == before[0][1]
    assert_same(stores.sqlite.keywords.search("a", "harbour ferry", 5), after)


def keyword_rows(stores: Stores) -> tuple[int, int]:
    postings = stores.connection.query("SELECT count(*) FROM keyword_postings")[0][0]
    chunks = stores.connection.query("SELECT count(*) FROM keyword_chunks")[0][0]
    return int(postings), int(chunks)


def test_deleting_chunks_deletes_their_keyword_rows(stores: Stores) -> None:
    write_text(stores, "docs", "/ferry.txt", "The harbour ferry leaves every 40 minutes.")
    write_text(stores, "docs", "/lamp.txt", "The lighthouse lamp was automated in 1989.")
    assert keyword_rows(stores)[1] == 2
    write_text(stores, "docs", "/ferry.txt", "The ferry now leaves every hour.")  # replaced: the old rows go
    assert keyword_rows(stores)[1] == 2
    assert stores.postgres.keywords.search("docs", "harbour", 5) == []
    stores.postgres.remove_source("docs", "/ferry.txt")
    with stores.connection.transaction() as db:  # as the catalog deletes chunks, whatever part does it
        db.execute("DELETE FROM chunks WHERE collection = ? AND source = ?", ("docs", "/lamp.txt"))
    assert keyword_rows(stores) == (0, 0)
    assert stores.postgres.keywords.gaps("docs") == (0, 0)
    assert stores.postgres.keywords.search("docs", "lighthouse ferry", 5) == []


def test_gaps_are_counted_and_repaired(corpus: Stores) -> None:
    keywords = corpus.postgres.keywords
    assert keywords.gaps("docs") == (0, 0)
    expected = keywords.search("docs", QUESTIONS[0], 10)
    lost = corpus.connection.query("SELECT rowid FROM chunks WHERE collection = 'docs' ORDER BY rowid LIMIT 3")
    with corpus.connection.transaction() as db:
        db.execute("DELETE FROM keyword_postings WHERE chunk = ANY(?::bigint[])", ([row[0] for row in lost],))
        db.execute("DELETE FROM keyword_chunks WHERE chunk = ANY(?::bigint[])", ([row[0] for row in lost],))
        # A keyword row of a chunk that no longer exists (as an interrupted older version could leave).
        db.execute(
            "INSERT INTO keyword_chunks (chunk, collection_id, length) "
            "SELECT 999999, id, 3 FROM keyword_collections WHERE collection = 'docs'"
        )
        db.execute(
            "INSERT INTO keyword_postings (chunk, collection_id, tf, length, term) "
            "SELECT 999999, id, 1, 3, 'russia' FROM keyword_collections WHERE collection = 'docs'"
        )
    assert keywords.gaps("docs") == (1, 3)
    keywords.repair("docs")
    assert keywords.gaps("docs") == (0, 0)
    assert keywords.search("docs", QUESTIONS[0], 10) == expected
    assert_same(corpus.sqlite.keywords.search("docs", QUESTIONS[0], 10), expected)


def test_a_second_server_sees_what_the_first_wrote(stores: Stores) -> None:
    other = PgConnection(stores.url)
    try:
        second = PgKeywords(other)
        write_text(stores, "docs", "/ferry.txt", "The harbour ferry leaves every 40 minutes.")
        write_text(stores, "docs", "/lamp.txt", "The lighthouse lamp was automated in 1989.")
        first_score = second.search("docs", "harbour ferry", 5)[0][1]
        assert second.search("docs", "gulls", 5) == []
        # Another server adds a file: the second one finds it, and its statistics (chunk count, lengths)
        # change the scores of the files it already knew.
        write_text(stores, "docs", "/gulls.txt", "Herring gulls nest on the harbour breakwater in May.")
        assert [record.source for record, _ in second.search("docs", "gulls", 5)] == ["/gulls.txt"]
        found = second.search("docs", "harbour ferry", 5)
        assert found[0][1] != first_score
        assert_same(stores.sqlite.keywords.search("docs", "harbour ferry", 5), found)
        # ... and removes one: it is gone for the second server too.
        stores.postgres.remove_source("docs", "/gulls.txt")
        stores.sqlite.remove_source("docs", "/gulls.txt")
        assert second.search("docs", "gulls", 5) == []
        assert_same(
            stores.sqlite.keywords.search("docs", "harbour ferry", 5), second.search("docs", "harbour ferry", 5)
        )
    finally:
        other.close()
