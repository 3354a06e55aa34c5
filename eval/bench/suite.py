"""`make bench` / `qa bench`: answer latency of the local model and retrieval latency, each against a baseline.

Writes eval/bench/report.md and report.json (git-ignored results of this machine).
- Answering: our prompt (best sentences within a budget, cached system prefix) against the plain
  baseline of whole chunks in the prompt, on the seed questions.
- Retrieval: hybrid search (Chroma HNSW + SQLite FTS5) against a brute-force scan (dot product with
  every vector plus BM25 computed over every chunk), which is what an index-free setup does per query.
"""

from __future__ import annotations

import json
import math
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from assistant import Assistant, Settings
from assistant.answerers.base import REFUSAL
from assistant.answerers.generative import GenerativeAnswerer
from assistant.evidence import Evidence
from assistant.llm import LocalChatModel
from assistant.prompts import load_prompt
from assistant.text import STOPWORDS, words
from eval.metrics import percentile

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT.parent / "shared" / "seed-corpus"
XQUAD = ROOT.parent / "shared" / "datasets" / "xquad-en" / "xquad.en.json"
QUESTIONS = [
    "What does Russia demand?", "What does Trump propose?", "How does Zelensky describe NATO membership?",
    "What stance has the Biden administration taken?", "What role did Trump suggest for China?",
    "When did the conflict intensify?", "Which newspaper reported ambivalence in Trump's team?",
]


class WholeChunkAnswerer(GenerativeAnswerer):
    """Baseline: every retrieved chunk goes into the prompt whole."""

    def stream(self, evidence: Evidence) -> Any:
        lines = "\n".join(f"[{n}] {' '.join(p.text.split())}" for n, p in enumerate(evidence.passages, start=1))
        messages = load_prompt("answer").render(refusal=REFUSAL, passages=lines, question=evidence.question)
        yield from self._model.stream(messages, max_tokens=self._settings.llm_max_tokens)


def time_answers(assistant: Assistant, model: LocalChatModel) -> dict[str, float]:
    first_token, total, prompt_tokens = [], [], []
    for question in QUESTIONS:
        started = time.perf_counter()
        first = None
        for piece in assistant.stream(question):
            if first is None:
                first = time.perf_counter() - started
        total.append(time.perf_counter() - started)
        first_token.append(first or total[-1])
        if model.last_timings:
            prompt_tokens.append(model.last_timings.get("prompt_n", 0) + model.last_timings.get("cache_n", 0))
    return {
        "ttft_p50_s": round(percentile(first_token, 50), 2),
        "total_p50_s": round(percentile(total, 50), 2),
        "prompt_tokens_p50": percentile(prompt_tokens, 50),
    }


def peak_memory_gb() -> float:
    """Peak resident memory of this process so far (VmHWM), in GB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024 / 1024, 2)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024, 2)


def bench_answers(data: Path) -> dict[str, Any]:
    """Runs first in the process, so its peak memory is that of `qa ask`: embedder, store and model."""
    settings = Settings(data_dir=data, collection="bench-seed", answerer="local")
    model = LocalChatModel(settings)
    results: dict[str, Any] = {}
    for name, kind in (("ours", GenerativeAnswerer), ("baseline_whole_chunks", WholeChunkAnswerer)):
        assistant = Assistant(settings)
        assistant._answerer = kind(model, settings, name="local")
        assistant.ingest([SEED])
        if "memory_without_model_gb" not in results:
            results["memory_without_model_gb"] = peak_memory_gb()
            load_started = time.perf_counter()
            model.load()
            results["model_load_s"] = round(time.perf_counter() - load_started, 2)
        assistant.answerer.warm_up()
        results[name] = time_answers(assistant, model)
    results["max_rss_gb"] = peak_memory_gb()
    return results


def brute_force(assistant: Assistant, query: str, k: int) -> list[str]:
    """Score every chunk: cosine with every vector plus a from-scratch BM25, fused by rank."""
    collection = assistant.store._collection
    everything = collection.get(include=["embeddings", "documents"])
    vector = assistant.embedder.embed(query)
    dense = sorted(zip(everything["ids"], everything["embeddings"]), key=lambda pair: -sum(a * b for a, b in zip(vector, pair[1])))
    documents = [Counter(words(text)) for text in everything["documents"]]
    average = sum(sum(d.values()) for d in documents) / max(1, len(documents))
    terms = [t for t in words(query) if t not in STOPWORDS]
    frequency = {t: sum(t in d for d in documents) for t in terms}

    def bm25(document: Counter[str]) -> float:
        length = sum(document.values())
        return sum(
            math.log(1 + (len(documents) - frequency[t] + 0.5) / (frequency[t] + 0.5))
            * document[t] * 2.2 / (document[t] + 1.2 * (0.25 + 0.75 * length / average))
            for t in terms
        )

    keyword = sorted(zip(everything["ids"], documents), key=lambda pair: -bm25(pair[1]))
    scores: dict[str, float] = {}
    for ranking in ([i for i, _ in dense[:20]], [i for i, _ in keyword[:20]]):
        for rank, chunk_id in enumerate(ranking, start=1):
            scores[chunk_id] = scores.get(chunk_id, 0) + 1 / (60 + rank)
    return sorted(scores, key=lambda chunk_id: -scores[chunk_id])[:k]


def bench_retrieval(data: Path) -> dict[str, Any]:
    from eval.squad import convert_squad

    corpus = data / "xquad"
    if XQUAD.is_file():
        convert_squad(XQUAD, corpus)
        queries = [json.loads(line)["question"] for line in (corpus / "gold.jsonl").read_text().splitlines()[:100]]
        corpus = corpus / "corpus"
    else:
        corpus, queries = ROOT / "eval" / "corpus", QUESTIONS
    assistant = Assistant(Settings(data_dir=data, collection="bench-retrieval", answerer="extractive"))
    assistant.ingest([corpus])
    timings: dict[str, list[float]] = {"ours": [], "baseline_brute_force": []}
    for query in queries:
        for name, run in (("ours", lambda q: assistant.search(q, 5)), ("baseline_brute_force", lambda q: brute_force(assistant, q, 5))):
            started = time.perf_counter()
            run(query)
            timings[name].append(time.perf_counter() - started)
    return {
        "chunks": assistant.store.count(),
        "queries": len(queries),
        **{f"{name}_p50_ms": round(percentile(values, 50) * 1000, 1) for name, values in timings.items()},
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as temp:
        answers = bench_answers(Path(temp)) if SEED.is_dir() else {"skipped": f"{SEED} not found"}
        retrieval = bench_retrieval(Path(temp))
    ours, base = answers.get("ours", {}), answers.get("baseline_whole_chunks", {})
    report = {"retrieval": retrieval, "answers": answers}
    lines = ["# Benchmark report", "", f"Machine: {sys.platform}, measured {time.strftime('%Y-%m-%d %H:%M')}", "",
             "## Retrieval (p50 per query)", "",
             f"- {retrieval['chunks']} chunks, {retrieval['queries']} queries",
             f"- hybrid search: {retrieval['ours_p50_ms']} ms; brute-force baseline: {retrieval['baseline_brute_force_p50_ms']} ms "
             f"(ratio {retrieval['ours_p50_ms'] / max(retrieval['baseline_brute_force_p50_ms'], 0.01):.2f})", ""]
    if ours:
        lines += ["## Answers with the local model (seed questions, p50)", "",
                  "| | first token (s) | whole answer (s) | prompt tokens |", "|---|---|---|---|",
                  f"| ours | {ours['ttft_p50_s']} | {ours['total_p50_s']} | {ours['prompt_tokens_p50']} |",
                  f"| whole-chunk baseline | {base['ttft_p50_s']} | {base['total_p50_s']} | {base['prompt_tokens_p50']} |",
                  f"| ratio | {ours['ttft_p50_s'] / max(base['ttft_p50_s'], 0.01):.2f} | "
                  f"{ours['total_p50_s'] / max(base['total_p50_s'], 0.01):.2f} | |", "",
                  f"Targets: first token <= 5 s, whole answer <= 15 s, memory <= 2.5 GB. "
                  f"Model load {answers['model_load_s']} s. Peak memory of the answering process "
                  f"{answers['max_rss_gb']} GB, of which {answers['memory_without_model_gb']} GB before the model "
                  "loads (embedding model, torch, Chroma)."]
    out = Path(__file__).resolve().parent
    (out / "report.json").write_text(json.dumps(report, indent=2))
    (out / "report.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
