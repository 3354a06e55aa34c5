"""Keyword search alone, SQLite FTS5 (the data-folder catalog) against the PostgreSQL keyword index (the server
state store), on the same chunks and questions: hit@1/5/10 by passage and search p50/p95, and how often the two
return the same top 10.

Each public set's articles (the test half by default, eval/splits.py) are written as files, loaded and chunked
by the project's own loader and chunker, and written with ``Catalog.replace_source`` into a SQLite catalog and
with ``PgCatalog.replace_source`` into the PostgreSQL database given; every answerable question is searched with
``Keywords.search`` and ``PgKeywords.search`` (no embeddings: the keyword side of hybrid search alone) and scored
as eval/bench/retrieval.py scores systems.

``--hybrid`` also scores the project's hybrid search (dense + keyword, fused; the real embedding model) with the
catalog in SQLite and with the same catalog copied into PostgreSQL, over the same vectors: what the state store
changes in what users get.

``--scale N`` also times both on a collection of N chunks built as eval/bench/scale.py builds its collections
(COVID-QA sentences recombined into documents; here without vectors), 200 COVID-QA questions, 50 candidates as
hybrid search asks, and reports how long writing the keyword rows took.

    .venv/bin/python -m eval.bench.keywords_pg --database-url postgresql://qa@127.0.0.1:5432/qa [--scale 100000]

The collections it writes in PostgreSQL are named ``kwbench-*``; a later run replaces them.
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assistant.index import catalog as sqlite_catalog
from assistant.index.postgres import keywords as pg_keywords
from assistant.index.postgres.catalog import PgCatalog
from assistant.index.postgres.connection import PgConnection
from assistant.index.postgres.keywords import PgKeywords
from assistant.index.postgres.schema import migrate
from assistant.models.embedder import FakeEmbedder
from assistant.settings import Settings
from assistant.types import ChunkRecord
from eval.bench import scale
from eval.bench.retrieval import GoldSpan, Hit, build_corpus, score
from eval.metrics import percentile
from eval.splits import DEV, TEST
from ingest.chunker import chunk_document
from ingest.document import LoadedDocument
from ingest.loaders import load_document

ROOT = Path(__file__).resolve().parents[2]
SETS = {
    "XQuAD-en": ROOT.parent / "shared" / "datasets" / "xquad-en" / "xquad.en.json",
    "COVID-QA": ROOT.parent / "shared" / "datasets" / "covid-qa" / "covid-qa.json",
}
SPLIT_NAMES = {"XQuAD-en": "xquad", "COVID-QA": "covid-qa"}  # as eval/bench/suite.py splits them
K = 10
SCALE_QUERIES = 200
SCALE_CANDIDATES = 50


class _Stores:
    """One collection written into both catalogs."""

    def __init__(self, work: Path, url: str, collection: str) -> None:
        self.collection = collection
        self.sqlite = sqlite_catalog.Catalog(work / f"{collection}.sqlite3")
        self.connection = PgConnection(url)
        migrate(self.connection)
        self.postgres = PgCatalog(self.connection)
        for record in self.postgres.records.sources(collection):
            self.postgres.remove_source(collection, record.source)

    def write(self, document: LoadedDocument, chunks: Sequence[ChunkRecord]) -> None:
        digest = hashlib.sha256(document.text.encode()).hexdigest()
        for catalog in (self.sqlite, self.postgres):
            catalog.replace_source(
                self.collection, document.source, digest, document.text, document.page_starts, chunks
            )

    def close(self) -> None:
        self.sqlite.close()
        self.connection.close()


def _documents(folder: Path, settings: Settings) -> Iterator[tuple[LoadedDocument, list[ChunkRecord]]]:
    for path in sorted(folder.glob("*.txt")):
        document = load_document(path, path.read_bytes())
        yield document, chunk_document(document, settings.ingest.chunk_size, settings.ingest.chunk_overlap)


def _timed(
    search: Callable[[str], list[tuple[ChunkRecord, float]]], questions: Sequence[str]
) -> tuple[list[list[tuple[ChunkRecord, float]]], list[float]]:
    results, seconds = [], []
    for question in questions:
        started = time.perf_counter()
        results.append(search(question))
        seconds.append(time.perf_counter() - started)
    return results, seconds


def _summary(seconds: Sequence[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(seconds, 50) * 1000, 2),
        "p95_ms": round(percentile(seconds, 95) * 1000, 2),
    }


def _same(left: Sequence[tuple[ChunkRecord, float]], right: Sequence[tuple[ChunkRecord, float]]) -> bool:
    return [record.chunk_id for record, _ in left] == [record.chunk_id for record, _ in right]


def quality(name: str, squad_file: Path, work: Path, url: str, half: str = TEST) -> dict[str, Any]:
    """Both indexes on one half of one set: scores by passage, search p50/p95, and agreement."""
    corpus = work / f"{name}-{half}"
    gold: list[GoldSpan] = build_corpus(squad_file, corpus, (SPLIT_NAMES[name], half))
    stores = _Stores(work, url, f"kwbench-{name.lower()}-{half}")
    try:
        for document, chunks in _documents(corpus, Settings()):
            stores.write(document, chunks)
        questions = [item.question for item in gold]
        systems = {
            "sqlite_fts5": lambda q: stores.sqlite.keywords.search(stores.collection, q, K),
            "postgres": lambda q: stores.postgres.keywords.search(stores.collection, q, K),
        }
        result: dict[str, Any] = {"questions": len(gold), "files": len(list(corpus.glob("*.txt")))}
        found = {}
        for system, search in systems.items():
            search(questions[0])  # the first search reads the statistics
            found[system], seconds = _timed(search, questions)
            rankings = [[Hit(r.source, r.start, r.end) for r, _ in hits] for hits in found[system]]
            result[system] = score(rankings, gold) | _summary(seconds)
        result["same_top10"] = round(
            sum(_same(a, b) for a, b in zip(found["sqlite_fts5"], found["postgres"], strict=True)) / len(gold), 3
        )
        result["same_top1"] = round(
            sum(_same(a[:1], b[:1]) for a, b in zip(found["sqlite_fts5"], found["postgres"], strict=True)) / len(gold),
            3,
        )
        return result
    finally:
        stores.close()


@contextmanager
def _timed_writes(spent: dict[str, float]) -> Iterator[None]:
    """Adds the time spent in the PostgreSQL keyword index's write_rows to ``spent['write_rows']``."""
    original = pg_keywords.write_rows

    def timed(*args: Any, **kwargs: Any) -> None:
        started = time.perf_counter()
        try:
            original(*args, **kwargs)
        finally:
            spent["write_rows"] += time.perf_counter() - started

    pg_keywords.write_rows = timed
    try:
        yield
    finally:
        pg_keywords.write_rows = original


def at_scale(size: int, work: Path, url: str, progress: Callable[[str], None]) -> dict[str, Any]:
    """Both indexes on a collection of ``size`` chunks (eval/bench/scale.py's documents): how long the writes
    took, and search p50/p95 with 50 candidates."""
    squad_file = SETS["COVID-QA"]
    pool = scale.build_pool(squad_file, FakeEmbedder(), work / "pool", progress)
    settings = Settings()
    stores = _Stores(work, url, f"kwbench-scale-{size}")
    spent = {"sqlite": 0.0, "postgres": 0.0, "write_rows": 0.0}
    chunks_done = documents = 0
    corpus = work / "scale-corpus"
    corpus.mkdir(exist_ok=True)
    try:
        with _timed_writes(spent):
            while chunks_done < size:
                path = corpus / f"doc-{documents:06d}.txt"
                data = scale.document_text(pool.sentences, pool.articles, documents).encode()
                document = load_document(path, data)
                chunks = chunk_document(document, settings.ingest.chunk_size, settings.ingest.chunk_overlap)
                digest = hashlib.sha256(data).hexdigest()
                for system, catalog in (("sqlite", stores.sqlite), ("postgres", stores.postgres)):
                    started = time.perf_counter()
                    catalog.replace_source(stores.collection, document.source, digest, document.text, (), chunks)
                    spent[system] += time.perf_counter() - started
                chunks_done += len(chunks)
                documents += 1
                if documents % 200 == 0:
                    progress(f"scale: {chunks_done} chunks written")
        progress("scale: VACUUM ANALYZE")
        stores.connection.db.execute("VACUUM ANALYZE keyword_postings")
        stores.connection.db.execute("VACUUM ANALYZE keyword_chunks")
        asked = scale.questions(squad_file, SCALE_QUERIES)
        result: dict[str, Any] = {
            "chunks": chunks_done,
            "documents": documents,
            "write_s": {system: round(seconds, 1) for system, seconds in spent.items()},
        }
        searches = {
            "sqlite_fts5": lambda q: stores.sqlite.keywords.search(stores.collection, q, SCALE_CANDIDATES),
            "postgres": lambda q: stores.postgres.keywords.search(stores.collection, q, SCALE_CANDIDATES),
            # As the first search after a write: every phrase list read from the tables.
            "postgres_cold": lambda q: PgKeywords(stores.connection).search(stores.collection, q, SCALE_CANDIDATES),
        }
        found = {}
        for system, search in searches.items():
            for question in asked[:5]:
                search(question)
            found[system], seconds = _timed(search, asked)
            result[system] = _summary(seconds)
        result["same_top10"] = round(
            sum(_same(a[:10], b[:10]) for a, b in zip(found["sqlite_fts5"], found["postgres"], strict=True))
            / len(asked),
            3,
        )
        return result
    finally:
        stores.close()


def hybrid(name: str, squad_file: Path, work: Path, url: str, half: str = TEST) -> dict[str, dict[str, float]]:
    """The project's hybrid search on one half of one set, its catalog in SQLite and then in PostgreSQL (the same
    chunks, copied; the same embedded Chroma vectors): hit@1/5/10 and MRR by passage of each."""
    from assistant.app.compose import SharedParts, build_parts
    from assistant.app.service import Assistant
    from assistant.index.catalog import copy_documents
    from assistant.models.embedder import build_embedder
    from eval.bench.retrieval import KS, Ours, _mean_chunk_chars

    corpus = work / f"{name}-{half}-hybrid"
    gold = build_corpus(squad_file, corpus, (SPLIT_NAMES[name], half))
    settings = Settings(
        data_dir=work / f"{name}-{half}-hybrid-data", collection=f"kwbench-hybrid-{name.lower()}-{half}"
    )
    embedder = build_embedder(settings)
    shared = SharedParts(embedder=embedder)
    try:
        embedded = Assistant(build_parts(settings, shared=shared))
        embedded.ingest([corpus])
        served = Assistant(build_parts(settings.updated(database_url=url), shared=shared))
        collection = settings.storage.collection
        for record in served.catalog.records.sources(collection):
            served.catalog.remove_source(collection, record.source)
        copy_documents(embedded.catalog, served.catalog, collection)
        chunk_chars = _mean_chunk_chars(corpus, settings)
        result = {}
        for system, assistant in (("sqlite_catalog", embedded), ("postgres_catalog", served)):
            search = Ours(assistant, chunk_chars)
            rankings = [search.search(item.question, max(KS)) for item in gold]
            result[system] = {key: value for key, value in score(rankings, gold).items() if key.startswith("passage")}
        return result
    finally:
        shared.close()


def table(results: dict[str, dict[str, Any]]) -> list[str]:
    lines = [
        "| set (questions) | system | hit@1 | hit@5 | hit@10 | p50 ms | p95 ms | same top 10 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, result in results.items():
        for system in ("sqlite_fts5", "postgres"):
            s = result[system]
            lines.append(
                f"| {name} ({result['questions']}) | {system} | {s['passage_hit@1']:.3f} | {s['passage_hit@5']:.3f} | "
                f"{s['passage_hit@10']:.3f} | {s['p50_ms']} | {s['p95_ms']} | "
                f"{result['same_top10'] if system == 'postgres' else ''} |"
            )
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database to write kwbench-* into")
    parser.add_argument("--half", choices=(DEV, TEST), default=TEST)
    parser.add_argument("--scale", type=int, default=0, help="also time both on a collection of this many chunks")
    parser.add_argument("--hybrid", action="store_true", help="also score hybrid search with either catalog")
    parser.add_argument("--work", type=Path, default=None, help="folder for the files and SQLite catalogs")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kwbench-") as temporary:
        work = args.work or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        results = {
            f"{name} {args.half}": quality(name, path, work, args.database_url, args.half)
            for name, path in SETS.items()
        }
        print("\n".join(table(results)))
        if args.hybrid:
            print("\n| set | hybrid search, catalog in | hit@1 | hit@5 | hit@10 | MRR |\n|---|---|---|---|---|---|")
            for name, path in SETS.items():
                for system, s in hybrid(name, path, work, args.database_url, args.half).items():
                    print(
                        f"| {name} {args.half} | {system.split('_')[0]} | {s['passage_hit@1']:.3f} | "
                        f"{s['passage_hit@5']:.3f} | {s['passage_hit@10']:.3f} | {s['passage_mrr']:.3f} |"
                    )
        if args.scale:
            found = at_scale(args.scale, work, args.database_url, scale.stderr_progress)
            print(
                f"\n{found['chunks']:,} chunks ({found['documents']} documents), {SCALE_QUERIES} COVID-QA questions, "
                f"{SCALE_CANDIDATES} candidates: sqlite_fts5 p50 {found['sqlite_fts5']['p50_ms']} ms / p95 "
                f"{found['sqlite_fts5']['p95_ms']} ms; postgres p50 {found['postgres']['p50_ms']} ms / p95 "
                f"{found['postgres']['p95_ms']} ms (nothing kept, as after a write: p50 "
                f"{found['postgres_cold']['p50_ms']} ms / p95 {found['postgres_cold']['p95_ms']} ms); "
                f"same top 10 {found['same_top10']}; writing: sqlite "
                f"{found['write_s']['sqlite']} s, postgres {found['write_s']['postgres']} s, of which write_rows "
                f"{found['write_s']['write_rows']} s"
            )


if __name__ == "__main__":
    main()
