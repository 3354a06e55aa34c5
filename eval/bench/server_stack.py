"""The server stack against the embedded default, side by side in one run: search p50/p95 at 10,000 and 100,000
chunks and ingest throughput, through the project's own search and ingest as `qa serve` runs them.

The server stack is a Chroma server (`chroma run`) for the vectors and PostgreSQL for the catalog and the keyword
index (``QA_CHROMA_URL`` and ``QA_DATABASE_URL``), both started here on loopback for the run and removed after it;
PostgreSQL runs with its default settings (fsync on), as installed. The embedded default is embedded Chroma and the
SQLite catalog (FTS5) in a data folder.

Search: the collections are built as eval/bench/scale.py builds them (COVID-QA sentences embedded once and
recombined into documents, written with ``VectorStore.upsert`` and ``replace_source``), once into the server stack
and once embedded (cached under ``QA_BENCH_SCALE_DIR`` like the scale part's), the same documents and vectors in
both; the same COVID-QA questions are timed through ``Assistant.search`` on each (query embedding included), with
where the time goes: query embedding, the Chroma query, the keyword search (PostgreSQL or FTS5), fetching the
dense candidates' chunk rows, and the rest (fusion). The server stack is timed right after its build and again
after VACUUM ANALYZE (what autovacuum does a while later). Target: p95 <= 80 ms at 100,000 chunks on the server
stack. Fifty of the questions are also asked of both stacks to check that they return the same passages (and, when
not, whether the keyword or the dense candidates differ).

Ingest: one generated folder of news-sized articles (eval/bench/ingest.py) ingested by ``Assistant.ingest`` into
each stack twice, alternately, with the default embedder (what a user waits for), and again with a hash-seeded
fake embedder, whose near-zero cost leaves the stores' own cost in the figures.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from assistant import Settings, build_assistant
from assistant.models.embedder import Embedder, FakeEmbedder
from assistant.types import ChunkRecord, Passage
from eval.bench import scale
from eval.bench.ingest import news_folder
from eval.bench.postgres import postgres_installed, postgres_server
from eval.bench.startup import running

P95_TARGET_MS = 80.0
AGREEMENT_QUESTIONS = 50  # asked of both stacks to check that they return the same passages
STACKS = ("server", "embedded")


@contextmanager
def postgres_cluster() -> Iterator[str]:
    """A new PostgreSQL cluster in a temporary folder (under /tmp, which the server's user can enter), with the
    server's default settings as installed; yields the URL of its database ``qa``, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="qa-bench-postgres-"))
    try:
        with postgres_server(folder, throwaway=False) as url:
            yield url
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def servers(work: Path) -> Iterator[tuple[str, str]]:
    """A Chroma server storing under ``work`` and a PostgreSQL cluster, both on loopback; yields their URLs."""
    chroma = str(Path(sys.executable).with_name("chroma"))
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    with ExitStack() as stack:
        chroma_url, _ = stack.enter_context(
            running([chroma, "run", "--path", str(work / "chroma"), "--host", "127.0.0.1"], "/api/v2/heartbeat", env)
        )
        yield chroma_url, stack.enter_context(postgres_cluster())


def stack_settings(stack: str, urls: tuple[str, str], data: Path, collection: str) -> Settings:
    """Settings of one collection on the server stack (the servers at ``urls``) or embedded in ``data``."""
    chroma_url, database_url = urls if stack == "server" else (None, None)
    return Settings(
        data_dir=data,
        collection=collection,
        answerer="extractive",
        chroma_url=chroma_url,
        database_url=database_url,
    )


INGEST_PARTS = ("embed", "vectors", "catalog", "rest")
# Each stack ingests twice, in this order, so that a drift of the machine's speed weighs on both alike.
INGEST_ORDER = ("server", "embedded", "embedded", "server")


def time_ingest(folder: Path, settings: Settings, embedder: Embedder) -> dict[str, Any]:
    """Files, chunks and seconds of ``Assistant.ingest`` of ``folder`` into a new collection, and where the
    seconds went: embedding, the vector writes (``VectorStore.upsert``), the catalog writes (``replace_source``:
    records, keyword rows, text) and the rest (waiting for files to be read and chunked, progress)."""
    spent = dict.fromkeys(INGEST_PARTS, 0.0)
    assistant = build_assistant(settings, embedder=scale._TimedEmbedder(embedder, spent))
    scale._time_calls(assistant.store, "upsert", "vectors", spent)
    scale._time_calls(assistant.catalog, "replace_source", "catalog", spent)
    started = time.perf_counter()
    report = assistant.ingest([folder])
    seconds = time.perf_counter() - started
    spent["rest"] = seconds - sum(spent.values())
    if not report.ok:
        raise RuntimeError(f"the benchmark's ingest failed: {report.summary()}")
    return {
        "files": len(report.results),
        "chunks": sum(result.chunks for result in report.results),
        "seconds": seconds,
        "split_s": spent,
    }


def _throughput(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    seconds = sum(run["seconds"] for run in runs)
    chunks, files = sum(run["chunks"] for run in runs), sum(run["files"] for run in runs)
    return {
        "ingests": len(runs),
        "files": runs[0]["files"],
        "chunks": runs[0]["chunks"],
        "seconds": round(seconds, 2),
        "chunks_per_s": round(chunks / seconds, 1),
        "files_per_s": round(files / seconds, 2),
        "split_s": {part: round(sum(run["split_s"][part] for run in runs), 2) for part in INGEST_PARTS},
    }


def bench_ingest(
    folder: Path, urls: tuple[str, str], work: Path, embedder: Embedder, progress: Callable[[str], None]
) -> dict[str, Any]:
    """Each stack ingests ``folder`` twice (INGEST_ORDER) with ``embedder``, then twice with a fake embedder (the
    stores' own cost), each time into a new collection; chunks/s per stack over its two ingests."""
    result: dict[str, Any] = {}
    embedder.embed_batch(["warm up the model"])
    for label, used in (("default_embedder", embedder), ("fake_embedder", FakeEmbedder())):
        runs: dict[str, list[dict[str, Any]]] = {stack: [] for stack in STACKS}
        for number, stack in enumerate(INGEST_ORDER):
            progress(f"server stack: ingesting {folder} ({label.replace('_', ' ')}) into the {stack} stack")
            collection = f"ingest-{label.replace('_', '-')}-{number}"
            runs[stack].append(
                time_ingest(folder, stack_settings(stack, urls, work / f"ingest-{stack}", collection), used)
            )
        found: dict[str, Any] = {stack: _throughput(runs[stack]) for stack in STACKS}
        found["server_over_embedded"] = round(found["server"]["chunks_per_s"] / found["embedded"]["chunks_per_s"], 2)
        result[label] = found
    return result


def _built(
    size: int,
    pool: scale.Pool,
    urls: tuple[str, str],
    cache_dir: Path,
    work: Path,
    embedder: Embedder,
    progress: Callable[[str], None],
) -> dict[str, dict[str, Any]]:
    """The collection of ``size`` chunks on both stacks: embedded reused from (or built into) the scale part's
    cache, the server stack's built into the servers."""
    embedded = scale.build_collection(size, pool, cache_dir, embedder, progress)
    shutil.rmtree(work / f"chunks-{size}", ignore_errors=True)  # its manifest would describe other servers
    settings = stack_settings("server", urls, work / "data", f"scale-{size}")
    server = scale.build_collection(size, pool, work, embedder, progress, settings)
    return {"server": server, "embedded": embedded}


def vacuum_analyze(database_url: str) -> float:
    """Seconds of VACUUM ANALYZE of the whole database: what autovacuum does some time after a large write
    (statistics for the planner, and the visibility map that lets index-only scans skip the table)."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
    return round(time.perf_counter() - started, 1)


def _place(record: ChunkRecord | Passage) -> tuple[str, int, int]:
    """A chunk's file name and offsets: the same on both stacks (each writes its documents in its own folder)."""
    return Path(record.source).name, record.start, record.end


def agreement(settings: dict[str, Settings], embedder: Embedder, asked: Sequence[str], k: int = 5) -> dict[str, float]:
    """How alike the two stacks' results are over ``asked``: the share of questions whose search returns the same
    ``k`` passages in the same order, and the mean share of the keyword search's and of the dense query's
    candidates (as many as search takes from each) found by both."""
    assistants = {stack: build_assistant(settings[stack], embedder=embedder) for stack in STACKS}
    collection = settings["server"].storage.collection
    n = settings["server"].retrieval.candidates
    same = keyword = dense = 0.0
    for question in asked:
        vector = embedder.embed(question)
        searched, keywords, nearest = [], [], []
        for assistant in assistants.values():
            searched.append([_place(passage) for passage in assistant.search(question, k)])
            found = assistant.catalog.keywords.search(collection, question, n)
            keywords.append({_place(record) for record, _ in found})
            ids = list(assistant.store.query(vector, 10 * n).best)[:n]
            nearest.append({_place(record) for record in assistant.catalog.records.chunks(collection, ids).values()})
        same += searched[0] == searched[1]
        keyword += len(keywords[0] & keywords[1]) / max(1, len(keywords[0] | keywords[1]))
        dense += len(nearest[0] & nearest[1]) / max(1, len(nearest[0] | nearest[1]))
    assistants["embedded"].catalog.close()
    count = max(1, len(asked))
    return {
        "questions": len(asked),
        "same_top5": round(same / count, 3),
        "keyword_overlap": round(keyword / count, 3),
        "dense_overlap": round(dense / count, 3),
    }


def run(
    squad_file: Path,
    cache_dir: Path,
    work: Path,
    embedder: Embedder,
    progress: Callable[[str], None],
    sizes: Sequence[int] = scale.SIZES,
    queries: int = 200,
    ingest_mb: float = 1.0,
    max_sentences: int | None = None,
) -> dict[str, Any]:
    """Start the servers, compare ingest on a generated folder of ``ingest_mb`` MB, then build each size on both
    stacks and time ``queries`` questions on each: on the server stack right after the build and again after
    VACUUM ANALYZE, then embedded."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    pool = scale.build_pool(squad_file, embedder, cache_dir, progress, max_sentences)
    asked = scale.questions(squad_file, queries)
    result: dict[str, Any] = {
        "embedder": type(embedder).__name__,
        "questions": len(asked),
        "p95_target_ms": P95_TARGET_MS,
        "collections": [],
    }
    with servers(work) as urls:
        progress(f"server stack: Chroma at {urls[0]}, PostgreSQL at {urls[1]}")
        folder = news_folder(work / "news", ingest_mb, [squad_file])
        result["ingest"] = bench_ingest(folder, urls, work, embedder, progress)
        for size in sizes:
            built = _built(size, pool, urls, cache_dir, work / "server-builds", embedder, progress)
            if built["embedded"]["chunks"] != built["server"]["chunks"]:
                raise RuntimeError(f"the two stacks hold different collections: {built}")
            entry: dict[str, Any] = {
                "target_chunks": size,
                "chunks": built["server"]["chunks"],
                "vectors": built["server"]["vectors"],
                "build_s": {stack: built[stack]["build_s"] for stack in STACKS},
                "embedded_reused": built["embedded"]["reused"],
            }
            settings = {
                "server": stack_settings("server", urls, work / "server-builds" / "data", f"scale-{size}"),
                "embedded": stack_settings("embedded", urls, cache_dir / f"chunks-{size}" / "data", f"scale-{size}"),
            }
            load_before = os.getloadavg()[0]
            progress(f"server stack: timing search on the server stack just built, {entry['chunks']} chunks")
            entry["server_just_built"] = scale.time_search(settings["server"], embedder, asked)
            progress("server stack: VACUUM ANALYZE")
            entry["vacuum_analyze_s"] = vacuum_analyze(urls[1])
            for stack in STACKS:
                progress(f"server stack: timing search on the {stack} stack, {entry['chunks']} chunks")
                entry[stack] = scale.time_search(settings[stack], embedder, asked)
            entry["load_1min"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
            entry["agreement"] = agreement(settings, embedder, asked[:AGREEMENT_QUESTIONS])
            entry["server_over_embedded_p50"] = round(entry["server"]["p50_ms"] / entry["embedded"]["p50_ms"], 2)
            entry["server_over_embedded_p95"] = round(entry["server"]["p95_ms"] / entry["embedded"]["p95_ms"], 2)
            entry["p95_target_met"] = entry["server"]["p95_ms"] <= P95_TARGET_MS
            entry["p95_target_met_just_built"] = entry["server_just_built"]["p95_ms"] <= P95_TARGET_MS
            result["collections"].append(entry)
    return result


PART_NAMES = {
    "embed": "query embedding",
    "chroma": "Chroma query",
    "fts": "keyword search",
    "fetch": "chunk fetch",
    "rest": "rest",
}
TIMED = {
    "server_just_built": "server, first pass right after the build",
    "server": "server, second pass after VACUUM ANALYZE",
    "embedded": "embedded",
}


def _yes(met: bool) -> str:
    return "yes" if met else "no"


def markdown(result: dict[str, Any]) -> list[str]:
    """The report section: search by size and stack, where the time goes, and ingest."""
    target = f"{result['p95_target_ms']:g}"
    lines = [
        (
            "Server stack: a Chroma server (`chroma run`) and PostgreSQL (default settings) on loopback; embedded: "
            "embedded Chroma and the SQLite catalog (FTS5). The same collections on both (built as the scale part "
            f"builds them), {result['questions']} COVID-QA questions through `Assistant.search`, query embedding "
            f"included; embedder {result['embedder']}. The server stack is timed right after its build (its first "
            "searches: PostgreSQL's caches cold, autovacuum maybe not done) and again after VACUUM ANALYZE (what "
            "autovacuum does a while after a large write)."
        ),
        "",
        (
            f"| chunks | server p50 / p95 (ms) | embedded p50 / p95 (ms) | server / embedded (p50, p95) | server "
            f"p95 <= {target} ms | right after the build: server p50 / p95 (ms), p95 <= {target} ms | VACUUM "
            "ANALYZE (s) | build (s): server, embedded | same top 5 on both (keyword, dense candidates in common) |"
        ),
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for c in result["collections"]:
        server, embedded, fresh, a = c["server"], c["embedded"], c["server_just_built"], c["agreement"]
        lines.append(
            f"| {c['chunks']:,} | {server['p50_ms']} / {server['p95_ms']} | {embedded['p50_ms']} / "
            f"{embedded['p95_ms']} | {c['server_over_embedded_p50']}, {c['server_over_embedded_p95']} | "
            f"{_yes(c['p95_target_met'])} | {fresh['p50_ms']} / {fresh['p95_ms']}, "
            f"{_yes(c['p95_target_met_just_built'])} | {c['vacuum_analyze_s']} | {c['build_s']['server']}, "
            f"{c['build_s']['embedded']}{' (cached)' if c['embedded_reused'] else ''} | "
            f"{a['same_top5']} of {a['questions']} questions ({a['keyword_overlap']}, {a['dense_overlap']}) |"
        )
    lines += [
        "",
        (
            "Where the time goes (p50 / p95 ms of each step; keyword search: PostgreSQL or FTS5; rest = fusion and "
            "Python around the calls):"
        ),
        "",
        f"| chunks | stack | {' | '.join(PART_NAMES.values())} |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in result["collections"]:
        for key, name in TIMED.items():
            split = c[key]["split"]
            cells = " | ".join(f"{split[part]['p50_ms']} / {split[part]['p95_ms']}" for part in PART_NAMES)
            lines.append(f"| {c['chunks']:,} | {name} | {cells} |")
    loads = ", ".join(f"{c['load_1min'][0]} / {c['load_1min'][1]}" for c in result["collections"])
    lines += ["", f"Load average (1 min) before / after each size's timings: {loads}."]
    ingest = result.get("ingest")
    if ingest:
        first = ingest["default_embedder"]["server"]
        lines += [
            "",
            (
                f"Ingest of the same {first['files']} generated news-sized files ({first['chunks']} chunks), twice "
                "into each stack (server, embedded, embedded, server), each time into a new collection; seconds "
                "summed over both:"
            ),
            "",
            (
                "| embedder | stack | chunks/s | files/s | server / embedded (chunks/s) | embedding (s) | vector "
                "writes (s) | catalog writes (s) | rest (s) |"
            ),
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for label, name in (("default_embedder", result["embedder"]), ("fake_embedder", "fake (the stores alone)")):
            runs = ingest[label]
            for stack in STACKS:
                r = runs[stack]
                split = " | ".join(str(r["split_s"][part]) for part in INGEST_PARTS)
                ratio = runs["server_over_embedded"] if stack == "server" else ""
                lines.append(f"| {name} | {stack} | {r['chunks_per_s']} | {r['files_per_s']} | {ratio} | {split} |")
    return lines


def section(
    squad_file: Path, work: Path, embedder: Embedder | None = None, ingest_mb: float = 1.0
) -> tuple[dict[str, Any], list[str]]:
    """The "server" part of `qa bench`: the result for report.json and the Markdown section. The embedded
    collections are the scale part's (cached under ``QA_BENCH_SCALE_DIR`` when it is set, else under ``work``)."""
    heading = f"## Server stack against the embedded default (target p95 <= {P95_TARGET_MS:g} ms at 100,000 chunks)"
    missing = (
        f"{squad_file} not found"
        if not squad_file.is_file()
        else "PostgreSQL's server programs (initdb, postgres) are not installed"
        if not postgres_installed()
        else None
    )
    if missing:
        return {"skipped": missing}, [heading, "", f"Skipped: {missing}.", ""]
    if embedder is None:  # the product's default embedder, as `qa serve` would load it
        from assistant.models.embedder import build_embedder

        embedder = build_embedder(Settings())
    cache = (
        Path(os.environ["QA_BENCH_SCALE_DIR"]).expanduser() if os.environ.get("QA_BENCH_SCALE_DIR") else work / "scale"
    )
    result = run(squad_file, cache, work / "server-stack", embedder, scale.stderr_progress, ingest_mb=ingest_mb)
    return result, [heading, "", *markdown(result), ""]
