"""Hybrid search at scale: p50/p95 of the product's own search at 10,000 and 100,000 chunks, against a
baseline that rebuilds BM25 for every query, measured side by side in one run.

Embedding the ~550,000 sentences of 100,000 chunks for real would take most of an hour on two cores, so
the collections are built from precomputed vectors: the sentences of a public set (COVID-QA) are
embedded once (the *pool*), then documents are written by recombining runs of those sentences across
articles with a seeded RNG. Each document goes through the project's own loader, chunker and
``embedding_units``, and is written with ``VectorStore.upsert`` and ``Catalog.replace_source``: the same
chunk ids, vector ids, catalog rows and FTS5 rows an ingest of the written files would make. A sentence's
vector is its pool vector plus small seeded noise (HNSW is not fed exact duplicates); a sentence the pool
lacks (a rare boundary difference) is embedded for real. Keyword statistics are those of real
scientific text, since every chunk is real sentences.

The built collections are cached under ``cache_dir`` (``QA_BENCH_SCALE_DIR``; default a temp dir) and
reused by later runs while the build recipe, the pool and the chunk settings are unchanged.
"""

from __future__ import annotations

import collections
import hashlib
import itertools
import json
import random
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant import Settings, build_assistant
from assistant.answering.retrieval import weighted_fusion
from assistant.index.folder import catalog_file
from assistant.index.store import embedding_units
from assistant.models.embedder import Embedder
from assistant.text import sentence_spans
from eval.metrics import percentile
from eval.squad import read_squad

SIZES = (10_000, 100_000)
# Bump when the documents, vectors or ids a build writes change, so that cached collections are rebuilt.
BUILD_VERSION = 1
NOISE = 0.005  # per component of a unit vector (~0.05 each): cosine to the pool vector ~0.995
SEED = 13
PARTS = ("embed", "chroma", "fts", "fetch", "rest")


@dataclass(frozen=True)
class Pool:
    """Sentences of the public set, grouped by article in reading order, with their embeddings."""

    sentences: list[str]
    articles: list[list[int]]  # pool indices of each article's sentences, in order
    vectors: np.ndarray  # float32, one unit row per sentence
    key: str
    embed_s: float | None  # None when read from the cache


def _usable(sentence: str) -> bool:
    """A sentence that the project's splitter gives back whole when it stands between two others on one
    line, as in the generated documents (so its pool vector is the vector an ingest would compute)."""
    if not (40 <= len(sentence) <= 500 and "\n" not in sentence):
        return False
    before, after = "It was so. ", " It was so."
    start = len(before)
    return sentence_spans(before + sentence + after) == [
        (0, start - 1),
        (start, start + len(sentence)),
        (start + len(sentence) + 1, start + len(sentence) + len(after)),
    ]


def _embedder_key(embedder: Embedder) -> str:
    """Tells embedders apart by what they compute: one probe sentence's vector."""
    probe = embedder.embed("A probe sentence tells embedding models apart.")
    return hashlib.sha256(f"{type(embedder).__name__}:{[round(x, 4) for x in probe]}".encode()).hexdigest()[:16]


def build_pool(
    squad_file: Path,
    embedder: Embedder,
    cache_dir: Path,
    progress: Callable[[str], None],
    max_sentences: int | None = None,
) -> Pool:
    """Split every context of the set into sentences and embed them once: vectors are kept under
    ``cache_dir`` per embedder, and a later run embeds only sentences it has not seen."""
    sentences: list[str] = []
    articles: list[list[int]] = []
    seen: set[str] = set()
    for article in read_squad(squad_file):
        members = []
        for paragraph in article.paragraphs:
            for start, end in sentence_spans(paragraph.context):
                sentence = paragraph.context[start:end]
                if _usable(sentence) and sentence not in seen:
                    seen.add(sentence)
                    members.append(len(sentences))
                    sentences.append(sentence)
        if members:
            articles.append(members)
    if max_sentences is not None and len(sentences) > max_sentences:
        articles = [kept for kept in ([i for i in members if i < max_sentences] for members in articles) if kept]
        sentences = sentences[:max_sentences]
    if not sentences:
        raise ValueError(f"{squad_file}: no usable sentences for the scale benchmark")
    embedder_key = _embedder_key(embedder)
    digest = hashlib.sha256(embedder_key.encode())
    for sentence in sentences:
        digest.update(sentence.encode() + b"\x00")
    texts_file, vectors_file = cache_dir / f"pool-{embedder_key}.json", cache_dir / f"pool-{embedder_key}.npy"
    known: dict[str, np.ndarray] = {}
    if texts_file.is_file() and vectors_file.is_file():
        known = dict(zip(json.loads(texts_file.read_text()), np.load(vectors_file), strict=True))
    missing = [sentence for sentence in sentences if sentence not in known]
    embed_s = None
    if missing:
        from assistant.progress import progress_bar

        progress(f"scale: embedding {len(missing)} of the pool's {len(sentences)} sentences (once; cached)")
        started = time.perf_counter()
        step = 256
        with progress_bar(total=len(missing), desc="pool sentences", unit="sent") as bar:
            for start in range(0, len(missing), step):
                batch = missing[start : start + step]
                known.update(zip(batch, np.asarray(embedder.embed_batch(batch), dtype=np.float32), strict=True))
                bar.update(len(batch))
        embed_s = round(time.perf_counter() - started, 1)
        cache_dir.mkdir(parents=True, exist_ok=True)
        texts_file.write_text(json.dumps(list(known)))
        np.save(vectors_file, np.stack(list(known.values())))
    vectors = np.stack([known[sentence] for sentence in sentences]).astype(np.float32)
    return Pool(sentences, articles, vectors, digest.hexdigest()[:16], embed_s)


def document_text(sentences: Sequence[str], articles: Sequence[Sequence[int]], number: int) -> str:
    """Document ``number``: paragraphs that are runs of 3-8 consecutive sentences of one of three articles,
    about as long as a COVID-QA article (15,000-30,000 characters). The same number gives the same text."""
    rng = random.Random(f"{SEED}:{number}")
    topics = rng.sample(list(articles), min(3, len(articles)))
    target = rng.randint(15_000, 30_000)
    paragraphs: list[str] = []
    length = 0
    while length < target:
        article = rng.choice(topics)
        run = min(len(article), rng.randint(3, 8))
        start = rng.randrange(len(article) - run + 1)
        paragraph = " ".join(sentences[i] for i in article[start : start + run])
        paragraphs.append(paragraph)
        length += len(paragraph) + 2
    return "\n\n".join(paragraphs)


@dataclass(frozen=True)
class _Prepared:
    """One generated document as the indexer would see it: loaded, chunked, split into embedding units."""

    document: Any  # ingest.loaders.LoadedDocument
    chunks: list[Any]  # ChunkRecord
    fingerprint: str  # what the indexer records as the file's sha256
    unit_ids: list[str]
    unit_texts: list[str]


_WORKER: dict[str, Any] = {}


def _start_worker(sentences: list[str], articles: list[list[int]], corpus: Path, chunk_size: int, overlap: int) -> None:
    _WORKER.update(sentences=sentences, articles=articles, corpus=corpus, chunk_size=chunk_size, overlap=overlap)


def _prepare(number: int) -> _Prepared:
    """Write document ``number`` under the corpus folder and chunk it with the project's own loader and
    chunker (runs in a helper process, beside the Chroma writes of the main one)."""
    from ingest.chunker import CHUNKER_VERSION, chunk_document
    from ingest.loaders import load_document

    w = _WORKER
    path = (w["corpus"] / f"doc-{number:06d}.txt").resolve()
    data = document_text(w["sentences"], w["articles"], number).encode()
    path.write_bytes(data)
    document = load_document(path, data)
    chunks = chunk_document(document, w["chunk_size"], w["overlap"])
    units = embedding_units(chunks)
    # The fingerprint the indexer records: content hash, chunker version and chunk settings.
    fingerprint = f"{hashlib.sha256(data).hexdigest()}:{CHUNKER_VERSION}:{w['chunk_size']}:{w['overlap']}"
    return _Prepared(document, chunks, fingerprint, [u.vector_id for u in units], [u.text for u in units])


def _prepared_documents(workers: int, initargs: tuple[Any, ...]) -> Generator[_Prepared, None, None]:
    """Documents 0, 1, 2, ... prepared in order, by ``workers`` helper processes (0: in this process)."""
    if not workers:
        _start_worker(*initargs)
        yield from map(_prepare, itertools.count())
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # Fork, not spawn: spawn re-runs the caller's main script in the helper unless it is guarded by
    # ``if __name__ == "__main__"``. The forked helper runs only pure-Python text code (no torch, no Chroma).
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=initargs) as executor:
        numbers = itertools.count()
        window = collections.deque(executor.submit(_prepare, next(numbers)) for _ in range(8 * workers))
        try:
            while True:
                document = window.popleft().result()
                window.append(executor.submit(_prepare, next(numbers)))
                yield document
        finally:
            for future in window:
                future.cancel()


def _scale_settings(cache_dir: Path, size: int) -> Settings:
    return Settings(data_dir=cache_dir / f"chunks-{size}" / "data", collection=f"scale-{size}", answerer="extractive")


def build_collection(
    size: int,
    pool: Pool,
    cache_dir: Path,
    embedder: Embedder,
    progress: Callable[[str], None],
    settings: Settings | None = None,
) -> dict[str, Any]:
    """A collection of at least ``size`` chunks under ``cache_dir/chunks-{size}``, built or reused.

    Documents are written under ``corpus/`` too, so that the collection is exactly what `qa ingest` of
    that folder would make (up to the vectors' noise). ``settings`` says where the collection is written
    (default: embedded Chroma and the SQLite catalog under ``data/``; eval/bench/server_stack.py gives
    a Chroma server and PostgreSQL)."""
    from assistant.progress import progress_bar
    from ingest.chunker import CHUNKER_VERSION

    folder = cache_dir / f"chunks-{size}"
    settings = settings or _scale_settings(cache_dir, size)
    recipe = {
        "version": BUILD_VERSION,
        "pool": pool.key,
        "size": size,
        "noise": NOISE,
        "chunk_size": settings.ingest.chunk_size,
        "chunk_overlap": settings.ingest.chunk_overlap,
        "chunker": CHUNKER_VERSION,
    }
    manifest = folder / "manifest.json"
    if manifest.is_file():
        built = json.loads(manifest.read_text())
        if built.get("recipe") == recipe:
            return built | {"reused": True}
    if folder.exists():  # an interrupted or outdated build
        shutil.rmtree(folder)
    corpus = folder / "corpus"
    corpus.mkdir(parents=True)
    collection = settings.storage.collection
    started = time.perf_counter()
    chunks_done = documents = embedded = 0
    pending: list[_Prepared] = []
    vectors: list[np.ndarray] = []
    missing: dict[int, str] = {}  # position in ``vectors`` -> a sentence the pool lacks
    lookup = {sentence: i for i, sentence in enumerate(pool.sentences)}

    def flush() -> None:
        nonlocal embedded
        if missing:
            for position, vector in zip(missing, embedder.embed_batch(list(missing.values())), strict=True):
                vectors[position] = np.asarray(vector, dtype=np.float32)
            embedded += len(missing)
            missing.clear()
        # As the indexer does: vectors first, then the catalog commit that makes them searchable.
        store.upsert(
            [vector_id for item in pending for vector_id in item.unit_ids],
            np.stack(vectors).tolist(),
            [item.document.source for item in pending for _ in item.unit_ids],
        )
        for item in pending:
            catalog.replace_source(
                collection,
                item.document.source,
                item.fingerprint,
                item.document.text,
                item.document.page_starts,
                item.chunks,
            )
        pending.clear()
        vectors.clear()

    progress(f"scale: building a collection of {size} chunks under {folder}")
    # A helper process chunks while this one writes to Chroma (Chroma's upsert holds the GIL, so a thread
    # would not overlap); started before the Chroma client, whose threads a fork should not copy.
    import multiprocessing

    workers = 1 if size >= 5_000 and "fork" in multiprocessing.get_all_start_methods() else 0
    initargs = (pool.sentences, pool.articles, corpus, settings.ingest.chunk_size, settings.ingest.chunk_overlap)
    prepared = _prepared_documents(workers, initargs)
    first = next(prepared)
    assistant = build_assistant(settings, embedder=embedder)
    catalog, store = assistant.catalog, assistant.store
    with progress_bar(total=size, desc=f"{size} chunks", unit="chunk") as bar:
        for item in itertools.chain([first], prepared):
            # One vector per distinct sentence of the file (the indexer embeds a repeated sentence once),
            # the pool's with seeded noise.
            rng = np.random.default_rng([SEED, documents])
            distinct = list(dict.fromkeys(item.unit_texts))
            known = [lookup.get(text, -1) for text in distinct]
            noisy = pool.vectors[np.maximum(known, 0)] + rng.normal(0.0, NOISE, (len(distinct), pool.vectors.shape[1]))
            noisy = (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)
            row = {text: i for i, text in enumerate(distinct)}
            for text in item.unit_texts:
                if known[row[text]] < 0:
                    missing[len(vectors)] = text
                vectors.append(noisy[row[text]])
            pending.append(item)
            chunks_done += len(item.chunks)
            documents += 1
            bar.update(len(item.chunks))
            if len(vectors) >= 5_000 or chunks_done >= size:
                flush()
            if chunks_done >= size:
                break
    prepared.close()
    built = {
        "recipe": recipe,
        "chunks": chunks_done,
        "vectors": store.count(),
        "documents": documents,
        "embedded_outside_pool": embedded,
        "build_s": round(time.perf_counter() - started, 1),
    }
    manifest.write_text(json.dumps(built, indent=2))
    catalog.close()
    return built | {"reused": False}


class _TimedEmbedder(Embedder):
    """Delegates to an embedder and adds the time it spends to ``spent['embed']``."""

    def __init__(self, inner: Embedder, spent: dict[str, float]) -> None:
        self._inner = inner
        self._spent = spent
        self.dimension = inner.dimension

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        started = time.perf_counter()
        try:
            return self._inner.embed_batch(texts)
        finally:
            self._spent["embed"] += time.perf_counter() - started


def _time_calls(owner: Any, method: str, label: str, spent: dict[str, float]) -> None:
    """Wrap ``owner.method`` (on this instance only) so that its calls add their time to ``spent[label]``."""
    original = getattr(owner, method)

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[label] += time.perf_counter() - started

    setattr(owner, method, timed)


def questions(squad_file: Path, count: int) -> list[str]:
    """``count`` answerable questions of the set, spread evenly over it."""
    found = [
        question.question
        for article in read_squad(squad_file)
        for paragraph in article.paragraphs
        for question in paragraph.questions
        if not question.impossible and question.question.strip()
    ]
    return found[:: max(1, len(found) // count)][:count]


def _summary(seconds: Sequence[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(seconds, 50) * 1000, 1),
        "p95_ms": round(percentile(seconds, 95) * 1000, 1),
        "mean_ms": round(sum(seconds) / max(1, len(seconds)) * 1000, 1),
    }


def rss_mb() -> float:
    """This process's resident memory now, in MB (Linux; 0 elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return 0.0
    import os

    return round(pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024, 1)


def time_search(
    settings: Settings, embedder: Embedder, asked: Sequence[str], k: int = 5, warm_up: int = 5
) -> dict[str, Any]:
    """p50/p95 of ``Assistant.search`` (query embedding included), and where the time goes: query embedding,
    the Chroma query, the FTS5 query, fetching the dense candidates' chunk rows, and the rest (fusion); and the
    memory the open collection adds to the process (its HNSW index, the catalog's pages)."""
    memory_before = rss_mb()
    spent: dict[str, float] = dict.fromkeys(PARTS, 0.0)
    assistant = build_assistant(settings, embedder=_TimedEmbedder(embedder, spent))
    _time_calls(assistant.store, "query", "chroma", spent)
    _time_calls(assistant.catalog.keywords, "search", "fts", spent)
    _time_calls(assistant.catalog.records, "chunks", "fetch", spent)
    for question in asked[:warm_up]:  # the first query loads the HNSW index from disk
        assistant.search(question, k)
    totals: list[float] = []
    parts: dict[str, list[float]] = {part: [] for part in PARTS}
    for question in asked:
        for part in PARTS:
            spent[part] = 0.0
        started = time.perf_counter()
        assistant.search(question, k)
        totals.append(time.perf_counter() - started)
        spent["rest"] = totals[-1] - sum(spent[part] for part in PARTS if part != "rest")
        for part in PARTS:
            parts[part].append(spent[part])
    memory_after = rss_mb()
    assistant.catalog.close()
    return {
        "queries": len(totals),
        **_summary(totals),
        "split": {part: _summary(parts[part]) for part in PARTS},
        "rss_mb": memory_after,
        "rss_added_mb": round(memory_after - memory_before, 1),
    }


def time_baseline(settings: Settings, embedder: Embedder, asked: Sequence[str], k: int = 5) -> dict[str, Any]:
    """The same hybrid search with the keyword side done the naive way: a rank_bm25 index rebuilt from every
    chunk's text for each query (what building ``BM25Retriever.from_documents`` per request does). The
    chunk texts are read once, untimed; the query embedding, Chroma query and fusion are as in ours."""
    from rank_bm25 import BM25Okapi

    from eval.bench.retrieval import bm25_tokens

    memory_before = rss_mb()
    peak = memory_before
    assistant = build_assistant(settings, embedder=embedder)
    with sqlite3.connect(str(catalog_file(settings.storage.data_dir))) as db:
        rows = db.execute(
            "SELECT chunk_id, text FROM chunks WHERE collection=? ORDER BY rowid", (settings.storage.collection,)
        ).fetchall()
    chunk_ids = [row[0] for row in rows]
    texts = [row[1] for row in rows]
    del rows
    n = max(settings.retrieval.candidates, k)
    totals: list[float] = []
    rebuilds: list[float] = []
    assistant.search(asked[0], k)  # the HNSW index loaded, as for ours
    for question in asked:
        started = time.perf_counter()
        hits = assistant.store.query(embedder.embed(question), 10 * n)
        rebuild_started = time.perf_counter()
        index = BM25Okapi([bm25_tokens(text) for text in texts])
        scores = index.get_scores(bm25_tokens(question))
        top = [int(i) for i in np.argsort(-scores, kind="stable")[:n] if scores[i] > 0]
        rebuilds.append(time.perf_counter() - rebuild_started)
        keyword = {chunk_ids[i]: float(scores[i]) for i in top}
        dense_ids = list(hits.best)[:n]
        candidates = list(dict.fromkeys(dense_ids + list(keyword)))
        dense = {chunk_id: hits.best.get(chunk_id, hits.floor) for chunk_id in candidates}
        fused = weighted_fusion(dense, keyword, candidates, settings.retrieval.dense_weight)[:k]
        assistant.catalog.records.chunks(settings.storage.collection, [chunk_id for chunk_id, _ in fused])
        totals.append(time.perf_counter() - started)
        peak = max(peak, rss_mb())
        del index
    assistant.catalog.close()
    return {
        "queries": len(totals),
        **_summary(totals),
        "bm25_rebuild": _summary(rebuilds),
        "rss_peak_added_mb": round(peak - memory_before, 1),
    }


def run(
    squad_file: Path,
    cache_dir: Path,
    embedder: Embedder,
    progress: Callable[[str], None],
    sizes: Sequence[int] = SIZES,
    queries: int = 200,
    baseline_queries: int = 5,
    max_sentences: int | None = None,
) -> dict[str, Any]:
    """Build (or reuse) a collection per size, then time ours on ``queries`` questions and the baseline on
    ``baseline_queries`` of them."""
    import os

    cache_dir.mkdir(parents=True, exist_ok=True)
    pool = build_pool(squad_file, embedder, cache_dir, progress, max_sentences)
    asked = questions(squad_file, queries)
    result: dict[str, Any] = {
        "embedder": type(embedder).__name__,
        "pool_sentences": len(pool.sentences),
        "pool_embed_s": pool.embed_s,
        "questions": len(asked),
        "cache_dir": str(cache_dir),
        "collections": [],
    }
    for size in sizes:
        built = build_collection(size, pool, cache_dir, embedder, progress)
        settings = _scale_settings(cache_dir, size)
        load_before = os.getloadavg()[0]
        progress(f"scale: timing search on {built['chunks']} chunks, {len(asked)} questions")
        ours = time_search(settings, embedder, asked)
        progress(f"scale: timing the rebuild-BM25-per-query baseline on {min(baseline_queries, len(asked))} questions")
        baseline = time_baseline(settings, embedder, asked[:baseline_queries])
        result["collections"].append(
            {
                "target_chunks": size,
                "chunks": built["chunks"],
                "vectors": built["vectors"],
                "documents": built["documents"],
                "build_s": built["build_s"],
                "reused": built["reused"],
                "embedded_outside_pool": built["embedded_outside_pool"],
                "load_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
                "ours": ours,
                "baseline_rebuild_bm25": baseline,
                "baseline_over_ours_p50": round(baseline["p50_ms"] / max(ours["p50_ms"], 0.1), 1),
                "p95_target_met": ours["p95_ms"] <= 50.0,
            }
        )
    return result


def markdown(result: dict[str, Any], set_name: str = "COVID-QA") -> list[str]:
    """The report section: one row per size, then where the time goes."""
    lines = [
        (
            f"Collections built from {result['pool_sentences']} {set_name} sentences embedded once, recombined into "
            f"documents (precomputed sentence vectors with small noise); {result['questions']} {set_name} questions; "
            "`Assistant.search`, query embedding included. Baseline: the same hybrid search with a rank_bm25 index "
            "rebuilt over every chunk for each query."
        ),
        "",
        (
            "| chunks | sentence vectors | p50 (ms) | p95 (ms) | memory added (MB) | baseline p50 (ms, queries) | "
            "baseline memory added (MB) | baseline / ours (p50) | p95 <= 50 ms |"
        ),
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for c in result["collections"]:
        b = c["baseline_rebuild_bm25"]
        lines.append(
            f"| {c['chunks']:,} | {c['vectors']:,} | {c['ours']['p50_ms']} | {c['ours']['p95_ms']} | "
            f"{c['ours'].get('rss_added_mb', '')} | {b['p50_ms']:,} ({b['queries']}) | "
            f"{b.get('rss_peak_added_mb', '')} | {c['baseline_over_ours_p50']:,}x | "
            f"{'yes' if c['p95_target_met'] else 'no'} |"
        )
    lines += [
        "",
        "Where the time goes (p50 / p95 ms of each step; rest = fusion and Python around the calls):",
        "",
        "| chunks | query embedding | Chroma query | FTS5 query | chunk fetch | rest | load (1 min, before/after) |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in result["collections"]:
        split = c["ours"]["split"]
        cells = " | ".join(f"{split[part]['p50_ms']} / {split[part]['p95_ms']}" for part in PARTS)
        lines.append(f"| {c['chunks']:,} | {cells} | {c['load_1min'][0]} / {c['load_1min'][1]} |")
    return lines


def stderr_progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def section(squad_file: Path, work: Path, embedder: Embedder | None = None) -> tuple[dict[str, Any], list[str]]:
    """The "scale" part of `qa bench`: the result for report.json and the Markdown section. Collections are
    cached under ``QA_BENCH_SCALE_DIR`` when it is set (a later run reuses them), else under ``work``."""
    import os

    if not squad_file.is_file():
        return {"skipped": f"{squad_file} not found"}, [f"Search at scale skipped: {squad_file} not found.", ""]
    if embedder is None:  # the product's default embedder, as `qa search` would load it
        from assistant.models.embedder import build_embedder

        embedder = build_embedder(Settings())
    cache = (
        Path(os.environ["QA_BENCH_SCALE_DIR"]).expanduser() if os.environ.get("QA_BENCH_SCALE_DIR") else work / "scale"
    )
    result = run(squad_file, cache, embedder, stderr_progress)
    return result, [
        "## Search at 10,000 and 100,000 chunks (target p95 <= 50 ms at 100,000)",
        "",
        *markdown(result),
        "",
    ]
