"""The embedding backends side by side in one run: texts/s of the ONNX exports (fp32 and int8, onnxruntime)
against sentence-transformers in torch (batches of 32 as ingest runs it, and large batches: its `encode`
limit), their agreement with the torch vectors, and the peak memory and load time of a fresh process
that loads each backend and embeds 100 texts.

The texts are real sentences (COVID-QA contexts split as ingest splits them), since ingest embeds every
chunk sentence by sentence. The backends are timed in interleaved rounds in one process (best round
kept), so a busy machine slows them alike; compare ratios, not absolute figures across runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistant import Settings
from assistant.models.embedder import Embedder, SentenceTransformerEmbedder, build_embedder
from assistant.text import sentence_spans
from eval.squad import read_squad

BASELINE = "sentence-transformers (batch 32)"
LIMIT = "sentence-transformers (batch 256)"
CANDIDATES = ("onnx", "onnx-int8")
# A fresh process: settings, the embedder, 100 texts; then its peak resident memory (VmHWM).
_CHILD = """
import json, sys, time
started = time.perf_counter()
from assistant import Settings
from assistant.models.embedder import build_embedder
embedder = build_embedder(Settings(embedder=sys.argv[1], models_dir=sys.argv[2]))
loaded = time.perf_counter() - started
embedder.embed_batch(json.loads(sys.stdin.read()))
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:")).split()[1]
print(json.dumps({"load_s": round(loaded, 2), "total_s": round(time.perf_counter() - started, 2),
                  "peak_rss_mb": round(int(hwm) / 1024), "torch_imported": "torch" in sys.modules}))
"""


def sentences(squad_file: Path, count: int) -> list[str]:
    """``count`` sentences spread evenly over the set's paragraphs, split by ``assistant.text.sentence_spans``."""
    every = [
        paragraph.context[start:end]
        for article in read_squad(squad_file)
        for paragraph in article.paragraphs
        for start, end in sentence_spans(paragraph.context)
    ]
    return every[:: max(1, len(every) // count)][:count]


def backends(settings: Settings) -> dict[str, Embedder]:
    """The torch baseline at two batch sizes and every ONNX candidate, loaded in this process."""
    models: dict[str, Embedder] = {
        BASELINE: SentenceTransformerEmbedder(settings.models.embedding_model),
        LIMIT: SentenceTransformerEmbedder(settings.models.embedding_model, batch_size=256),
    }
    for name in CANDIDATES:
        models[name] = build_embedder(settings.updated(embedder=name))
    return models


def compare(texts: Sequence[str], models: dict[str, Embedder], rounds: int) -> dict[str, Any]:
    """texts/s of each model (best of ``rounds`` interleaved rounds) and its cosine agreement with the baseline."""
    import numpy as np

    for model in models.values():
        model.embed_batch(["warm up the model", "and its threads"])
    seconds: dict[str, list[float]] = {name: [] for name in models}
    vectors: dict[str, Any] = {}
    for _ in range(rounds):
        for name, model in models.items():
            started = time.perf_counter()
            vectors[name] = np.asarray(model.embed_batch(texts), dtype=np.float32)
            seconds[name].append(time.perf_counter() - started)
    reference = vectors[BASELINE]
    result: dict[str, Any] = {}
    for name in models:
        best = min(seconds[name])
        cosines = (vectors[name] * reference).sum(axis=1)
        result[name] = {
            "texts_per_s": round(len(texts) / best, 1),
            "vs_baseline": round(min(seconds[BASELINE]) / best, 2),
            "vs_limit": round(min(seconds[LIMIT]) / best, 2),
            "cosine_mean": round(float(cosines.mean()), 5),
            "cosine_min": round(float(cosines.min()), 5),
            "unit_norm_max_error": round(float(np.abs(np.linalg.norm(vectors[name], axis=1) - 1).max()), 6),
        }
    return result


def fresh_process(name: str, models_dir: Path, texts: Sequence[str]) -> dict[str, Any]:
    """Load one backend in a new interpreter and embed ``texts``: its peak RSS, load time and whether torch came in."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, name, str(models_dir)],
        input=json.dumps(list(texts)),
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["no output"])[-1]}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run(
    squad_file: Path,
    count: int = 1500,
    rounds: int = 2,
    process_texts: int = 100,
    settings: Settings | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> dict[str, Any]:
    """Every figure of the part: throughput and agreement in this process, then one fresh process per backend."""
    settings = settings or Settings()
    texts = sentences(squad_file, count)
    progress(f"embedders: loading {', '.join([BASELINE, LIMIT, *CANDIDATES])}")
    models = backends(settings)
    progress(f"embedders: {rounds} interleaved rounds over {len(texts)} sentences")
    result: dict[str, Any] = {
        "texts": len(texts),
        "mean_chars": round(sum(map(len, texts)) / max(1, len(texts)), 1),
        "rounds": rounds,
        "throughput": compare(texts, models, rounds),
        "process": {},
    }
    del models
    result["process_texts"] = len(texts[:process_texts])
    for name in ("sentence-transformers", *CANDIDATES):
        progress(f"embedders: a fresh process loads {name} and embeds {result['process_texts']} texts")
        result["process"][name] = fresh_process(name, settings.models.resolved_dir, texts[:process_texts])
    return result


def markdown(result: dict[str, Any]) -> list[str]:
    """The table of the part, one row per backend."""
    lines = [
        (
            f"{result['texts']} COVID-QA sentences (mean {result['mean_chars']} characters), best of "
            f"{result['rounds']} "
            "interleaved rounds in one process; cosine against the torch vectors (batch 32). Fresh process: load the "
            f"backend and embed {result['process_texts']} texts, peak RSS (VmHWM)."
        ),
        "",
        (
            "| backend | texts/s | vs torch batch 32 | vs torch batch 256 (encode limit) | cosine mean / min "
            "| fresh process: peak RSS (MB) | load (s) | torch imported |"
        ),
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, row in result["throughput"].items():
        process = result["process"].get(name.split(" (")[0]) if name != LIMIT else None
        if process and "error" not in process:
            memory = f"{process['peak_rss_mb']} | {process['load_s']} | {'yes' if process['torch_imported'] else 'no'}"
        else:
            memory = f"{process['error']} | | " if process else " | | "
        lines.append(
            f"| {name} | {row['texts_per_s']} | {row['vs_baseline']:.2f} | {row['vs_limit']:.2f} | "
            f"{row['cosine_mean']:.4f} / {row['cosine_min']:.4f} | {memory} |"
        )
    return lines


def section(
    squad_file: Path, count: int = 1500, rounds: int = 2, progress: Callable[[str], None] = lambda message: None
) -> tuple[dict[str, Any], list[str]]:
    """The "embedder" part of `qa bench`: the result for report.json and the Markdown section."""
    if not squad_file.is_file():
        return {"skipped": f"{squad_file} not found"}, [f"Embedding backends skipped: {squad_file} not found.", ""]
    result = run(squad_file, count, rounds, progress=progress)
    return result, ["## Embedding backends: ONNX Runtime against sentence-transformers", "", *markdown(result), ""]
