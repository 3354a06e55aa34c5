"""`make bench` / `qa bench`: each figure next to a baseline measured in the same run.

Writes report.md and report.json into the folder given (`qa bench --out`; default: the data folder's bench/).
- answers: our prompt (best sentences within a budget, cached system prefix) against the plain
  baseline of whole chunks in the prompt, on the seed questions, with the local model.
- quality: retrieval hit@k and MRR on the dev and test halves of XQuAD, COVID-QA and the distractor set made
  from them (eval/distractors.py), against plain BM25 and the naive LangChain hybrid recipe
  (eval/bench/retrieval.py).
- latency: search p50/p95 on a collection of at least 10,000 chunks.
- startup: `qa ask` (extractive and local) from process start to answer, an unchanged re-ingest, an
  off-topic refusal, `qa serve` and the Streamlit app to healthy, with each one's peak memory.
- scaleout: concurrent searches through one `qa serve` worker and through two sharing a Chroma server.
- ingest: throughput on a generated folder of news-sized articles (16 MB by default) against the embedding
  model's own limit on the same sentences and the naive LangChain recipe, and an unchanged re-ingest.
- scale: hybrid search p50/p95 at 10,000 and 100,000 chunks (precomputed vectors) against BM25 rebuilt per
  query (eval/bench/scale.py; QA_BENCH_SCALE_DIR caches the built collections between runs).
- server: the server stack (a Chroma server and PostgreSQL on loopback, started for the run) against the embedded
  default: search p50/p95 at 10,000 and 100,000 chunks (the scale part's collections) and ingest throughput
  (eval/bench/server_stack.py).
- embedder: texts/s of the ONNX Runtime embedders (fp32, int8) against sentence-transformers in torch, their
  agreement with its vectors, and the peak memory of a fresh process per backend (eval/bench/embedders.py).
- prefill: prompt and generated tokens/s and first-token time of the local model with ~1,200 characters of
  evidence, per runtime (the xllamacpp wheel, llama.cpp built for this CPU) and quantisation, interleaved in
  one run, with ratios against the wheel (eval/bench/prefill.py).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from assistant import Assistant, Settings, build_assistant
from assistant.answering.answerers.base import REFUSAL
from assistant.answering.answerers.generative import GenerativeAnswerer
from assistant.answering.evidence import Evidence
from assistant.answering.prompts import load_prompt
from assistant.models.embedder import Embedder, build_embedder
from assistant.models.llm import LocalChatModel
from eval.bench.retrieval import markdown, run_distractors, run_set, search_latency, stderr_progress
from eval.metrics import percentile
from eval.samples import SAMPLE_CORPUS
from eval.splits import DEV, TEST

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT.parent / "shared" / "seed-corpus"
XQUAD = ROOT.parent / "shared" / "datasets" / "xquad-en" / "xquad.en.json"
COVIDQA = ROOT.parent / "shared" / "datasets" / "covid-qa" / "covid-qa.json"
PARTS = ("answers", "quality", "latency", "ingest", "startup", "scaleout", "scale", "server", "embedder", "prefill")
QUESTIONS = [
    "What does Russia demand?",
    "What does Trump propose?",
    "How does Zelensky describe NATO membership?",
    "What stance has the Biden administration taken?",
    "What role did Trump suggest for China?",
    "When did the conflict intensify?",
    "Which newspaper reported ambivalence in Trump's team?",
]


class WholeChunkAnswerer(GenerativeAnswerer):
    """Baseline: every retrieved chunk goes into the prompt whole."""

    def stream(self, evidence: Evidence) -> Any:
        lines = "\n".join(f"[{n}] {' '.join(p.text.split())}" for n, p in enumerate(evidence.passages, start=1))
        messages = load_prompt("answer").render(refusal=REFUSAL, passages=lines, question=evidence.question)
        yield from self._model.stream(messages, max_tokens=self._settings.llm.max_tokens)


def time_answers(assistant: Assistant, model: LocalChatModel) -> dict[str, float]:
    first_token, total, prompt_tokens = [], [], []
    for question in QUESTIONS:
        started = time.perf_counter()
        first = None
        for piece in assistant.stream(question):
            if first is None and piece:  # empty pieces stand for draft tokens: nothing is shown yet
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
    # The meaning check's cost, measured side by side: the same answerer with the word checks alone.
    words_only = settings.updated(semantic_check=False)
    for name, kind, chosen in (
        ("ours", GenerativeAnswerer, settings),
        ("ours_word_checks_only", GenerativeAnswerer, words_only),
        ("baseline_whole_chunks", WholeChunkAnswerer, settings),
    ):
        assistant = build_assistant(chosen, answerer=kind(model, chosen, name="local"))
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


def retrieval_quality(
    sets: list[tuple[str, Path]], work: Path, embedder: Embedder, limit: int | None
) -> dict[str, dict[str, Any]]:
    """Both halves of each public set and of the distractor set made from them, test halves first."""
    if not sets:
        return {}
    keys = {"XQuAD": "xquad", "COVID-QA": "covid-qa"}
    quality: dict[str, dict[str, Any]] = {}
    for split in (TEST, DEV):
        for name, path in sets:
            folder = work / f"{name}-{split}"
            quality[f"{name}, {split}"] = run_set(
                name, path, folder, embedder, stderr_progress, limit, half=(keys[name], split)
            )
        paths = {keys[name]: path for name, path in sets}
        quality[f"distractors, {split}"] = run_distractors(
            paths, split, work / f"distractors-{split}", embedder, stderr_progress, limit
        )
    return quality


def machine() -> str:
    """CPU model and core count, for the report's header."""
    model = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            sys.platform,
        )
        if Path("/proc/cpuinfo").is_file()
        else sys.platform
    )
    return f"{model}, {os.cpu_count()} cores"


class Report:
    """report.json keeps each part's latest result and Markdown with its date, so running some parts
    (`qa bench --part ...`) updates their sections and keeps the others'."""

    def __init__(self, folder: Path) -> None:
        self._json, self._markdown = folder / "report.json", folder / "report.md"
        try:
            previous = json.loads(self._json.read_text())
        except (OSError, ValueError):
            previous = {}
        self.parts: dict[str, Any] = previous.get("parts", {}) if isinstance(previous, dict) else {}

    def add(self, part: str, result: Any, lines: list[str]) -> None:
        self.parts[part] = {
            "measured": time.strftime("%Y-%m-%d %H:%M"),
            "machine": machine(),
            "result": result,
            "markdown": lines,
        }
        self.write()

    def write(self) -> str:
        text = ["# Benchmark report", ""]
        for part in PARTS:
            if part in self.parts:
                entry = self.parts[part]
                lines = entry["markdown"]
                if not lines or not lines[0].startswith("## "):
                    lines = [f"## {part}", *lines]
                text += [lines[0], "", f"_Measured {entry['measured']} on {entry['machine']}._", *lines[1:]]
                if text[-1]:
                    text.append("")
        self._json.write_text(json.dumps({"parts": self.parts}, indent=2))
        self._markdown.write_text("\n".join(text) + "\n")
        return "\n".join(text)


def main(
    parts: tuple[str, ...] = PARTS, limit: int | None = None, ingest_mb: float = 16.0, out: Path | None = None
) -> None:
    """Run the chosen parts, each written to ``out``/report.md and report.json as soon as it is done (default:
    the data folder's bench/); print the whole report at the end."""
    from assistant.settings import load_settings

    out = out or load_settings().storage.data_dir / "bench"
    out.mkdir(parents=True, exist_ok=True)
    report = Report(out)
    sets = [(name, path) for name, path in (("XQuAD", XQUAD), ("COVID-QA", COVIDQA)) if path.is_file()]
    missing = f"skipped: neither {XQUAD} nor {COVIDQA} found."
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        if "answers" in parts:
            # First in the process, so that its peak memory is that of `qa ask`.
            answers = bench_answers(work / "answers") if SEED.is_dir() else {"skipped": f"{SEED} not found"}
            report.add("answers", answers, answer_lines(answers))
        if "quality" in parts or "latency" in parts:
            # The embedder users get (settings), so the figures are those of a default install.
            embedder = build_embedder(Settings())
            if "quality" in parts:
                quality = retrieval_quality(sets, work, embedder, limit)
                report.add(
                    "quality",
                    quality,
                    [
                        "## Retrieval quality (dev half: parameters chosen on it; test half: never tuned on)",
                        "",
                        *(markdown(quality) if sets else [missing]),
                        "",
                    ],
                )
            if "latency" in parts and sets:
                latency = search_latency(sets[-1][1], work / "latency", embedder, stderr_progress)
                report.add(
                    "latency",
                    latency,
                    [
                        "## Search latency",
                        "",
                        (
                            f"- {latency['chunks']} chunks ({latency['vectors']} sentence vectors; copies of "
                            f"{sets[-1][0]}'s "
                            f"articles), {latency['queries']} queries of {sets[-1][0]}: p50 "
                            f"{latency['p50_ms']} ms, p95 "
                            f"{latency['p95_ms']} ms (target p95 <= 50 ms at 10,000 chunks), query embedding included."
                        ),
                        "",
                    ],
                )
        if "startup" in parts:
            from eval.bench.startup import bench_startup, startup_lines

            startup = bench_startup(SAMPLE_CORPUS, work / "startup", stderr_progress)
            report.add("startup", startup, ["## Cold start and memory", "", *startup_lines(startup)])
        if "scaleout" in parts and sets:
            from eval.bench.retrieval import build_corpus
            from eval.bench.scaleout import bench_scaleout, scaleout_lines

            name, path = sets[-1]
            gold = build_corpus(path, work / "scaleout-corpus")
            queries = [item.question for item in gold[:: max(1, len(gold) // 300)]]
            scaleout = bench_scaleout(work / "scaleout-corpus", queries, work / "scaleout", stderr_progress)
            report.add(
                "scaleout",
                scaleout,
                [
                    "## Scaling out: workers sharing one Chroma server",
                    "",
                    f"Corpus and questions: {name}.",
                    "",
                    *scaleout_lines(scaleout),
                ],
            )
        if "ingest" in parts and sets:
            from eval.bench.ingest import section as ingest_section

            report.add(
                "ingest", *ingest_section([path for _, path in sets], work / "ingest", ingest_mb, stderr_progress)
            )
        if "scale" in parts:
            from eval.bench.scale import section

            report.add("scale", *section(COVIDQA, work / "scale"))
        if "server" in parts:
            from eval.bench.server_stack import section as server_section

            # The same folder as the scale part's: the embedded collections it built are reused.
            report.add("server", *server_section(COVIDQA, work / "scale"))
        if "embedder" in parts:
            from eval.bench.embedders import section as embedder_section

            report.add("embedder", *embedder_section(COVIDQA, progress=stderr_progress))
        if "prefill" in parts:
            from eval.bench.prefill import section as prefill_section

            report.add("prefill", *prefill_section())
    print(report.write())


def answer_lines(answers: dict[str, Any]) -> list[str]:
    """The answer-latency section of the report."""
    ours, base = answers.get("ours"), answers.get("baseline_whole_chunks")
    if not ours or not base:
        return [f"Answers skipped: {answers.get('skipped', 'no result')}.", ""]
    return [
        "## Answers with the local model (seed questions, p50)",
        "",
        "| | first token (s) | whole answer (s) | prompt tokens |",
        "|---|---|---|---|",
        f"| ours | {ours['ttft_p50_s']} | {ours['total_p50_s']} | {ours['prompt_tokens_p50']} |",
        f"| whole-chunk baseline | {base['ttft_p50_s']} | {base['total_p50_s']} | {base['prompt_tokens_p50']} |",
        *(
            [
                (
                    f"| ours, word checks only (no meaning check) | {words['ttft_p50_s']} | {words['total_p50_s']} | "
                    f"{words['prompt_tokens_p50']} |"
                )
            ]
            if (words := answers.get("ours_word_checks_only"))
            else []
        ),
        (
            f"| ratio | {ours['ttft_p50_s'] / max(base['ttft_p50_s'], 0.01):.2f} | "
            f"{ours['total_p50_s'] / max(base['total_p50_s'], 0.01):.2f} | |"
        ),
        "",
        (
            "Only checked text is streamed, so the first token comes once the answer is checked. "
            f"Targets: first token <= 5 s, whole answer <= 15 s, memory <= 2.5 GB. "
            f"Model load {answers['model_load_s']} s. Peak memory of the answering process "
            f"{answers['max_rss_gb']} GB, of which {answers['memory_without_model_gb']} GB before the model "
            "loads (embedding model, torch, Chroma)."
        ),
        "",
    ]
