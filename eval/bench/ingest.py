"""Ingest throughput side by side: the project's ingest, the embedding model's own limit on the same
texts, and the naive LangChain recipe, on one generated folder of news-sized articles, in one run.

The folder is generated, deterministically, from the public sets' text by a word-level Markov chain, so
that its sentences read like the sources (realistic lengths and vocabulary) but do not repeat: repeated
sentences would flatter any system that embeds a text once.
"""

from __future__ import annotations

import random
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from assistant import Settings, build_assistant
from assistant.models.embedder import Embedder
from assistant.text import sentence_spans
from eval.squad import read_squad

# Articles of the news folder: 16 MB over 1,861 files, about 8,600 characters each.
ARTICLE_CHARS = 8_600


def _sentences(squad_files: Iterable[Path]) -> list[list[str]]:
    sentences = []
    for path in squad_files:
        for article in read_squad(path):
            for paragraph in article.paragraphs:
                for start, end in sentence_spans(paragraph.context):
                    tokens = paragraph.context[start:end].split()
                    if 4 <= len(tokens) <= 60:
                        sentences.append(tokens)
    return sentences


def news_folder(folder: Path, megabytes: float, squad_files: Iterable[Path], seed: int = 0) -> Path:
    """Write about ``megabytes`` MB of articles (~8,600 characters, paragraphs of 2-6 sentences) into ``folder``."""
    corpus = _sentences(squad_files)
    if not corpus:
        raise ValueError("no sentences to learn from: give at least one SQuAD-format file")
    following: dict[tuple[str, str], list[str]] = defaultdict(list)
    starts = []
    for tokens in corpus:
        padded = ["", "", *tokens, ""]
        starts.append((tokens[0], tokens[1]))
        for first, second, third in zip(padded, padded[1:], padded[2:], strict=False):
            following[(first, second)].append(third)
    rng = random.Random(seed)

    def sentence() -> str:
        first, second = rng.choice(starts)
        words = [first, second]
        while len(words) < 60:
            nxt = rng.choice(following[(first, second)])
            if not nxt:
                break
            words.append(nxt)
            first, second = second, nxt
        text = " ".join(words)
        return text if re.search(r"[.!?]$", text) else text + "."

    folder.mkdir(parents=True, exist_ok=True)
    target = int(megabytes * 1_000_000)
    written = number = 0
    while written < target:
        paragraphs, length = [], 0
        while length < ARTICLE_CHARS:
            paragraph = " ".join(sentence() for _ in range(rng.randint(2, 6)))
            paragraphs.append(paragraph)
            length += len(paragraph) + 2
        text = f"Article {number}\n\n" + "\n\n".join(paragraphs) + "\n"
        (folder / f"article{number:05}.txt").write_text(text, encoding="utf-8")
        written += len(text.encode())
        number += 1
    return folder


def _embedded_texts(folder: Path, settings: Settings) -> list[str]:
    """The texts an ingest of ``folder`` embeds: every sentence of every chunk, each file's repeats once."""
    from assistant.index.store import embedding_units
    from ingest.chunker import chunk_document
    from ingest.loaders import load_document

    texts: list[str] = []
    for path in sorted(folder.glob("*.txt")):
        chunks = chunk_document(
            load_document(path, path.read_bytes()), settings.ingest.chunk_size, settings.ingest.chunk_overlap
        )
        texts.extend(dict.fromkeys(unit.text for unit in embedding_units(chunks)))
    return texts


def naive_ingest(folder: Path, data: Path, embedder: Embedder) -> int:
    """What `Chroma.from_documents` does after a 1000/200 recursive split: embed every chunk, then add them
    in batches Chroma accepts. Returns the number of chunks."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    texts = [
        piece
        for path in sorted(folder.glob("*.txt"))
        for piece in splitter.split_text(path.read_text(encoding="utf-8"))
    ]
    vectors = embedder.embed_batch(texts)
    client = chromadb.PersistentClient(path=str(data), settings=ChromaSettings(anonymized_telemetry=False))
    collection = client.get_or_create_collection("naive", embedding_function=None, metadata={"hnsw:space": "cosine"})
    step = client.get_max_batch_size()
    for start in range(0, len(texts), step):
        end = start + step
        collection.add(
            ids=[str(i) for i in range(start, min(end, len(texts)))],
            embeddings=vectors[start:end],  # type: ignore[arg-type]  # chroma's list type is invariant
            documents=texts[start:end],
        )
    return len(texts)


def _timed(run: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = run()
    return result, time.perf_counter() - started


def bench_ingest(
    folder: Path,
    work: Path,
    embedder: Embedder,
    naive_embedder: Embedder,
    progress: Callable[[str], None],
) -> dict[str, Any]:
    """Our ingest, the encode limit on the same texts and the naive recipe, each timed on ``folder``."""
    files = sorted(folder.glob("*.txt"))
    chars = sum(len(path.read_text(encoding="utf-8")) for path in files)
    settings = Settings(data_dir=work / "ours", collection="bench-ingest", answerer="extractive")
    embedder.embed_batch(["warm up the model"])
    naive_embedder.embed_batch(["warm up the model"])
    assistant = build_assistant(settings, embedder=embedder)
    progress(f"ingest: the project ingests {len(files)} files ({chars / 1e6:.1f} M characters)")
    report, ours_s = _timed(lambda: assistant.ingest([folder]))
    if not report.ok:
        raise RuntimeError(f"the benchmark's own ingest failed: {report.summary()}")
    chunks = sum(result.chunks for result in report.results)
    _, again_s = _timed(lambda: assistant.ingest([folder]))
    texts = _embedded_texts(folder, settings)
    progress(f"ingest: the limit, encoding the same {len(texts)} sentences in one call")
    _, limit_s = _timed(lambda: embedder.embed_batch(texts))
    progress("ingest: the naive LangChain recipe (1000/200 chunks, one vector each, Chroma)")
    naive_chunks, naive_s = _timed(lambda: naive_ingest(folder, work / "naive", naive_embedder))
    return {
        "files": len(files),
        "megabytes": round(sum(path.stat().st_size for path in files) / 1e6, 1),
        "chunks": chunks,
        "sentences_embedded": len(texts),
        "ours_s": round(ours_s, 3),
        "ours_chunks_per_s": round(chunks / ours_s, 1),
        "ours_chars_per_s": round(chars / ours_s),
        "limit_s": round(limit_s, 3),
        "naive_s": round(naive_s, 3),
        "naive_chunks": naive_chunks,
        "reingest_unchanged_s": round(again_s, 3),
        "share_of_limit": round(limit_s / ours_s, 3),
        "speedup_over_naive": round(naive_s / ours_s, 2),
        "reingest_speedup": round(ours_s / max(again_s, 1e-3), 1),
    }


def ingest_lines(result: dict[str, Any], embedder_name: str) -> list[str]:
    """The ingest section of the report."""
    r = result
    return [
        (
            f"{r['files']} generated news-sized files, {r['megabytes']} MB, {r['chunks']} chunks "
            f"({r['sentences_embedded']} sentences embedded); embedder {embedder_name}."
        ),
        "",
        "| | seconds | ratio | target |",
        "|---|---|---|---|",
        (
            f"| this project's ingest | {r['ours_s']} ({r['ours_chunks_per_s']} chunks/s, "
            f"{r['ours_chars_per_s']:,} chars/s) | | "
            f"<= 480 s for 16 MB |"
        ),
        (
            f"| limit: the same model encoding the same sentences in one call | {r['limit_s']} | "
            f"{r['share_of_limit']} of the limit | >= 0.85 |"
        ),
        (
            f"| naive LangChain recipe ({r['naive_chunks']} chunks of 1000/200, one torch MiniLM vector each, "
            "Chroma) | "
            f"{r['naive_s']} | {r['speedup_over_naive']}x faster | >= 1.5x |"
        ),
        (
            f"| re-ingest, nothing changed | {r['reingest_unchanged_s']} | {r['reingest_speedup']}x faster than "
            "the first | >= 50x |"
        ),
        "",
    ]


def section(
    squad_files: list[Path], work: Path, megabytes: float, progress: Callable[[str], None]
) -> tuple[dict[str, Any], list[str]]:
    """Generate the folder, run the three systems, and return (JSON result, Markdown lines)."""
    from assistant.models.embedder import SentenceTransformerEmbedder, build_embedder

    settings = Settings()
    progress(f"ingest: generating {megabytes:g} MB of news-sized articles from the public sets")
    folder = news_folder(work / "news", megabytes, squad_files)
    result = bench_ingest(folder, work, build_embedder(settings), SentenceTransformerEmbedder(), progress)
    result["embedder"] = settings.models.embedder
    return result, ["## Ingest throughput", "", *ingest_lines(result, settings.models.embedder)]
