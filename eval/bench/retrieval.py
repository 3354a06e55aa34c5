"""Retrieval quality side by side: the project's hybrid search against plain BM25 and the naive LangChain
hybrid recipe, on the same long documents and gold questions, in one run.

Each public SQuAD-format set becomes one file per article (XQuAD: 48 articles of ~4,000 characters;
COVID-QA: 98 scientific articles of ~23,500), so that finding the right file is not enough: a hit by
passage needs the retrieved chunk to hold at least half of the gold answer span (or half the chunk, when
the answer is longer than the chunk). Every system is scored the same way from (file, start, end).

Every set is split by article (eval/splits.py, seed 0): the dev half is what retrieval parameters are chosen
on, the test half is measured and reported, each half its own collection. The third set (eval/distractors.py)
is made from the same halves and full of pages that repeat a question's words (digests, quizzes,
near-duplicates); it is scored by document, as a user judges it.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from assistant import Assistant, Settings, build_assistant
from assistant.models.embedder import Embedder
from eval.distractors import DocumentGold
from eval.distractors import build as build_distractors
from eval.metrics import percentile
from eval.splits import Splits
from eval.squad import read_squad, slug

KS = (1, 5, 10)


@dataclass(frozen=True)
class GoldSpan:
    """A question and where its answer sits: characters ``start:end`` of ``file``."""

    question: str
    file: str
    start: int
    end: int


@dataclass(frozen=True)
class Hit:
    """One retrieved piece of a file."""

    file: str
    start: int
    end: int


class Retriever(Protocol):
    mean_chunk_chars: float

    def search(self, question: str, k: int) -> list[Hit]: ...


def build_corpus(squad_file: Path, folder: Path, half: tuple[str, str] | None = None, seed: int = 0) -> list[GoldSpan]:
    """Write one text file per article and return the answerable questions with their answer spans; with
    ``half`` = (dataset name, "dev" or "test"), only the articles of that half."""
    folder.mkdir(parents=True, exist_ok=True)
    gold: list[GoldSpan] = []
    used: set[str] = set()
    articles = read_squad(squad_file)
    splits = Splits({half[0]: len(articles)}, seed) if half else None
    for index, article in enumerate(articles):
        name = slug(article.title)
        while name in used:
            name += "_"
        used.add(name)
        if half and splits and splits.of(half[0], index) != half[1]:
            continue
        file = f"{name}.txt"
        for offset, paragraph in zip(article.paragraph_starts, article.paragraphs, strict=True):
            for question in paragraph.questions:
                if question.impossible or not question.answers or question.starts[0] < 0:
                    continue
                start = offset + question.starts[0]
                gold.append(GoldSpan(question.question, file, start, start + len(question.answers[0])))
        (folder / file).write_text(article.text, encoding="utf-8")
    return gold


def score(rankings: Sequence[Sequence[Hit]], gold: Sequence[GoldSpan]) -> dict[str, float]:
    """hit@k and MRR (over the top max(KS)), by file and by passage."""
    result: dict[str, float] = {}
    for level in ("file", "passage"):
        ranks = [_first_hit(ranking[: max(KS)], item, level) for ranking, item in zip(rankings, gold, strict=True)]
        for k in KS:
            result[f"{level}_hit@{k}"] = round(sum(r is not None and r <= k for r in ranks) / len(ranks), 3)
        result[f"{level}_mrr"] = round(sum(1 / r for r in ranks if r) / len(ranks), 3)
    return result


def document_score(rankings: Sequence[Sequence[Hit]], gold: Sequence[DocumentGold]) -> dict[str, float]:
    """hit@k and MRR by document (any of the question's files), and hit@1 of the questions that face a quiz
    page or a near-duplicate."""
    ranks = [
        next((rank for rank, hit in enumerate(ranking[: max(KS)], start=1) if Path(hit.file).name in item.files), None)
        for ranking, item in zip(rankings, gold, strict=True)
    ]
    result = {f"file_hit@{k}": round(sum(r is not None and r <= k for r in ranks) / len(ranks), 3) for k in KS}
    result["file_mrr"] = round(sum(1 / r for r in ranks if r) / len(ranks), 3)
    for face in ("quiz", "near-duplicate"):
        facing = [r for r, item in zip(ranks, gold, strict=True) if face in item.faces]
        result[f"{face}_hit@1"] = round(sum(r == 1 for r in facing) / max(1, len(facing)), 3)
    return result


def _first_hit(ranking: Sequence[Hit], item: GoldSpan, level: str) -> int | None:
    for rank, hit in enumerate(ranking, start=1):
        if Path(hit.file).name != item.file:
            continue
        if level == "file":
            return rank
        needed = min(item.end - item.start, hit.end - hit.start) / 2
        if min(item.end, hit.end) - max(item.start, hit.start) >= needed:
            return rank
    return None


def bm25_tokens(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _split(folder: Path, size: int, overlap: int) -> list[tuple[Hit, str]]:
    """LangChain's recursive splitter over every file, with each chunk's start offset."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=size, chunk_overlap=overlap, add_start_index=True)
    pieces = []
    for path in sorted(folder.glob("*.txt")):
        for document in splitter.create_documents([path.read_text(encoding="utf-8")]):
            start = document.metadata["start_index"]
            pieces.append((Hit(path.name, start, start + len(document.page_content)), document.page_content))
    return pieces


def _mean_length(pieces: Sequence[tuple[Hit, str]]) -> float:
    return round(sum(len(text) for _, text in pieces) / max(1, len(pieces)), 1)


def _bm25_top(index: Any, question: str, n: int) -> list[int]:
    scores = index.get_scores(bm25_tokens(question))
    return sorted(range(len(scores)), key=lambda i: -scores[i])[:n]


class PlainBM25:
    """BM25 (rank_bm25, Okapi) over 1,000-character chunks without overlap; lower-cased word tokens."""

    def __init__(self, folder: Path) -> None:
        from rank_bm25 import BM25Okapi

        self._pieces = _split(folder, 1000, 0)
        self._index = BM25Okapi([bm25_tokens(text) for _, text in self._pieces])
        self.mean_chunk_chars = _mean_length(self._pieces)

    def search(self, question: str, k: int) -> list[Hit]:
        return [self._pieces[i][0] for i in _bm25_top(self._index, question, k)]


class NaiveLangChain:
    """The recipe of most tutorials: 1000/200 recursive splitter, one MiniLM vector per chunk in Chroma,
    rank_bm25 beside it, the top 20 of each fused by reciprocal rank (k=60) as LangChain's ensemble does."""

    def __init__(self, folder: Path, embedder: Embedder, data: Path, progress: Callable[[str], None]) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from rank_bm25 import BM25Okapi

        self._pieces = _split(folder, 1000, 200)
        self.mean_chunk_chars = _mean_length(self._pieces)
        self._embedder = embedder
        self._index = BM25Okapi([bm25_tokens(text) for _, text in self._pieces])
        client = chromadb.PersistentClient(path=str(data), settings=ChromaSettings(anonymized_telemetry=False))
        self._collection = client.get_or_create_collection(
            "naive", embedding_function=None, metadata={"hnsw:space": "cosine"}
        )
        batch = 256
        for start in range(0, len(self._pieces), batch):
            progress(f"naive recipe: embedding chunks {start}/{len(self._pieces)}")
            texts = [text for _, text in self._pieces[start : start + batch]]
            ids = [str(i) for i in range(start, start + len(texts))]
            # Any: chroma's list types are invariant, so a list[list[float]] is refused by the checker.
            vectors: Any = embedder.embed_batch(texts)
            self._collection.add(ids=ids, embeddings=vectors, documents=texts)

    def search(self, question: str, k: int) -> list[Hit]:
        query: Any = [self._embedder.embed(question)]
        found = self._collection.query(query_embeddings=query, n_results=20, include=[])
        dense = [int(i) for i in found["ids"][0]]
        scores: dict[int, float] = {}
        for ranking in (dense, _bm25_top(self._index, question, 20)):
            for rank, item in enumerate(ranking, start=1):
                scores[item] = scores.get(item, 0.0) + 1.0 / (60 + rank)
        return [self._pieces[i][0] for i in sorted(scores, key=lambda i: -scores[i])[:k]]


def _mean_chunk_chars(folder: Path, settings: Settings) -> float:
    """Mean length of the project's chunks of the files in ``folder``."""
    from ingest.chunker import chunk_document
    from ingest.loaders import load_document

    lengths = [
        chunk.end - chunk.start
        for path in sorted(folder.glob("*.txt"))
        for chunk in chunk_document(
            load_document(path, path.read_bytes()), settings.ingest.chunk_size, settings.ingest.chunk_overlap
        )
    ]
    return round(sum(lengths) / max(1, len(lengths)), 1)


class Ours:
    """The project's own search, as `qa search` runs it."""

    def __init__(self, assistant: Assistant, mean_chunk_chars: float) -> None:
        self._assistant = assistant
        self.mean_chunk_chars = mean_chunk_chars

    def search(self, question: str, k: int) -> list[Hit]:
        return [Hit(p.source, p.start, p.end) for p in self._assistant.search(question, k)]


def _systems(
    corpus: Path, work: Path, name: str, embedder: Embedder, progress: Callable[[str], None]
) -> dict[str, Retriever]:
    """This project (ingested into its own collection), with rank-only fusion, and the two baselines."""
    settings = Settings(data_dir=work / "data", collection=f"bench-{name}", answerer="extractive")
    ours = build_assistant(settings, embedder=embedder)
    progress(f"{name}: ingesting {len(list(corpus.glob('*.txt')))} files into the project")
    ours.ingest([corpus])
    chunk_chars = _mean_chunk_chars(corpus, settings)
    return {
        "ours": Ours(ours, chunk_chars),
        "ours_rrf": Ours(build_assistant(settings.updated(fusion="rrf"), embedder=embedder), chunk_chars),
        "plain_bm25": PlainBM25(corpus),
        "naive_langchain": NaiveLangChain(corpus, embedder, work / f"{name}-naive", progress),
    }


def _rank_all(
    name: str, systems: dict[str, Retriever], questions: Sequence[str], progress: Callable[[str], None]
) -> dict[str, tuple[list[list[Hit]], dict[str, float]]]:
    """Every system's top max(KS) for every question, and its search p50/p95."""
    ranked = {}
    for system, retriever in systems.items():
        progress(f"{name}: {system} searching for {len(questions)} questions")
        rankings, timings = [], []
        for question in questions:
            started = time.perf_counter()
            rankings.append(retriever.search(question, max(KS)))
            timings.append(time.perf_counter() - started)
        ranked[system] = (
            rankings,
            {
                "mean_chunk_chars": retriever.mean_chunk_chars,
                "search_p50_ms": round(percentile(timings, 50) * 1000, 1),
                "search_p95_ms": round(percentile(timings, 95) * 1000, 1),
            },
        )
    return ranked


def _differences(result: dict[str, Any]) -> None:
    for baseline in ("plain_bm25", "naive_langchain"):
        result[f"ours_minus_{baseline}"] = {
            metric: round(value - result[baseline][metric], 3)
            for metric, value in result["ours"].items()
            if metric.startswith(("file", "passage"))
        }


def run_set(
    name: str,
    squad_file: Path,
    work: Path,
    embedder: Embedder,
    progress: Callable[[str], None],
    limit: int | None = None,
    half: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """Every system on one public set (or one half of it); returns the scores per system and the differences."""
    corpus = work / f"{name}-corpus"
    gold = build_corpus(squad_file, corpus, half)
    if limit:  # spread over all articles, not the first few
        gold = gold[:: max(1, len(gold) // limit)][:limit]
    systems = _systems(corpus, work, name, embedder, progress)
    result: dict[str, Any] = {"questions": len(gold), "files": len(list(corpus.glob("*.txt")))}
    for system, (rankings, extra) in _rank_all(name, systems, [item.question for item in gold], progress).items():
        result[system] = score(rankings, gold) | extra
    _differences(result)
    return result


def run_distractors(
    paths: dict[str, Path],
    split: str,
    work: Path,
    embedder: Embedder,
    progress: Callable[[str], None],
    limit: int | None = None,
) -> dict[str, Any]:
    """Every system on the distractor set of one half, scored by document."""
    corpus = work / "distractors-corpus"
    gold = build_distractors(paths, corpus, split)
    if limit:
        gold = gold[:: max(1, len(gold) // limit)][:limit]
    systems = _systems(corpus, work, f"distractors-{split}", embedder, progress)
    result: dict[str, Any] = {"questions": len(gold), "files": len(list(corpus.glob("*.txt")))}
    for system, (rankings, extra) in _rank_all(
        f"distractors {split}", systems, [item.question for item in gold], progress
    ).items():
        result[system] = document_score(rankings, gold) | extra
    _differences(result)
    return result


def search_latency(
    squad_file: Path,
    work: Path,
    embedder: Embedder,
    progress: Callable[[str], None],
    min_chunks: int = 10_000,
    queries: int = 200,
) -> dict[str, Any]:
    """p50/p95 of one `search` (query embedding included) on a collection of at least ``min_chunks`` chunks:
    copies of the set's articles in separate folders, added until the count is reached. Duplicates time
    the same work as distinct texts would (index sizes are what count), not retrieval quality."""
    corpus = work / "scale-source"
    gold = build_corpus(squad_file, corpus)
    assistant = build_assistant(
        Settings(data_dir=work / "data", collection="bench-scale", answerer="extractive"), embedder=embedder
    )
    files = sorted(corpus.glob("*.txt"))
    copies = 0

    def chunks() -> int:
        return sum(record.chunk_count for record in assistant.sources())

    while chunks() < min_chunks:
        have = chunks()
        # The last copy takes only as many articles as the count still needs, at the average seen so far.
        per_file = have / (copies * len(files)) if copies else 0
        take = len(files) if not per_file else min(len(files), int((min_chunks - have) / per_file) + 1)
        copy = work / "scale" / f"copy{copies}"
        copy.mkdir(parents=True)
        for path in files[:take]:
            (copy / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
        progress(f"search latency: ingesting {take} articles, copy {copies + 1} ({have} chunks so far)")
        assistant.ingest([copy])
        copies += 1
    timings = []
    for item in gold[:: max(1, len(gold) // queries)][:queries]:
        started = time.perf_counter()
        assistant.search(item.question, 5)
        timings.append(time.perf_counter() - started)
    return {
        "chunks": chunks(),
        "vectors": assistant.store.count(),
        "queries": len(timings),
        "p50_ms": round(percentile(timings, 50) * 1000, 1),
        "p95_ms": round(percentile(timings, 95) * 1000, 1),
    }


LABELS = {
    "ours": "**this project**",
    "ours_rrf": "this project, RRF fusion",
    "plain_bm25": "plain BM25 (1,000-char chunks)",
    "naive_langchain": "naive LangChain hybrid (1000/200, MiniLM, Chroma, rank_bm25, RRF)",
}


def _cell(result: dict[str, Any], metric: str, signed: bool = False) -> str:
    if metric not in result:
        return ""
    return f"{result[metric]:+.3f}" if signed else f"{result[metric]:.3f}"


def markdown(results: dict[str, dict[str, Any]]) -> list[str]:
    """The side-by-side table for every set and half: hit@k by document (file), hit@1/5 by passage where the
    set has answer spans, MRR by document, for every system, then this project's differences."""
    metrics = ("file_hit@1", "file_hit@5", "file_hit@10", "file_mrr", "passage_hit@1", "passage_hit@5")
    lines = [
        (
            "| set, half (questions) | system | doc hit@1 | doc hit@5 | doc hit@10 | doc MRR | passage hit@1 | "
            "passage hit@5 | mean chunk (chars) | search p95 (ms) |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, result in results.items():
        for system, label in LABELS.items():
            s = result[system]
            cells = " | ".join(_cell(s, metric) for metric in metrics)
            lines.append(
                f"| {name} ({result['questions']}) | {label} | {cells} | {s['mean_chunk_chars']:.0f} | "
                f"{s['search_p95_ms']} |"
            )
        for baseline in ("plain_bm25", "naive_langchain"):
            d = result[f"ours_minus_{baseline}"]
            cells = " | ".join(_cell(d, metric, signed=True) for metric in metrics)
            lines.append(f"| {name} | difference to {LABELS[baseline].split(' (')[0]} | {cells} | | |")
    return lines


def stderr_progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)
