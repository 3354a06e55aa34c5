"""Prompt reading (prefill) and writing speed of the local model, per runtime and quantisation, side by side.

Variants: the generic xllamacpp wheel with the packaged Q4_K_M model (the baseline), llama-cpp-python
built for this CPU (`make install`) with the same file, and the requantised files that can be made from
it (assistant/models/install/quantize.py) on either runtime. Each variant runs in its own worker process (two llama.cpp
builds in one process would bind each other's symbols); the parent interleaves them run by run (A, B,
A, B, ...) so that machine load hits every variant alike.

A run is what the answerer does: the project's answer prompt (prompts/answer.*) holding ~1,200
characters of evidence from the sample corpus (eval/corpus), with the constant system prefix already
cached by a warm-up call. Every run shows the evidence in another order, so it is read afresh. Per
variant: p50 of prompt tokens/s and generated tokens/s (llama.cpp's own timings of the local model) and
of the first-token time measured around ``LocalChatModel.stream``, with ratios against the wheel.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.metrics import percentile
from eval.samples import SAMPLE_CORPUS

# The workers start here, so a run from a checkout imports that checkout's code.
ROOT = Path(__file__).resolve().parents[2]
EVIDENCE_CHARS = 1200
QUESTION = "What does Russia demand?"
BASELINE = "xllamacpp Q4_K_M"


@dataclass(frozen=True)
class Variant:
    """One runtime with one GGUF file."""

    runtime: str
    quant: str
    path: Path | None  # None: the packaged model

    @property
    def label(self) -> str:
        return f"{self.runtime} {self.quant}"


def evidence_lines(chars: int = EVIDENCE_CHARS, corpus: Path = SAMPLE_CORPUS) -> list[str]:
    """Sentences of the sample corpus, a few from each file in turn, until they hold ``chars`` characters."""
    per_file = []
    for path in sorted(corpus.glob("*")):
        if path.suffix in {".txt", ".md"}:
            text = " ".join(path.read_text(encoding="utf-8").split())
            per_file.append([s for s in re.split(r"(?<=[.!?])\s+", text) if len(s) > 40])
    lines: list[str] = []
    total = 0
    for depth in range(max((len(s) for s in per_file), default=0)):
        for sentences in per_file:
            if depth < len(sentences) and total < chars:
                lines.append(sentences[depth])
                total += len(sentences[depth]) + 1
    if not lines:
        raise FileNotFoundError(f"no sentences found in {corpus}")
    return lines


def prompt_for(run: int, lines: list[str]) -> list[dict[str, str]]:
    """The answer prompt with the evidence rotated by ``run`` (so no run finds its evidence cached)."""
    from assistant.answering.answerers.base import REFUSAL
    from assistant.answering.prompts import load_prompt

    shift = run % len(lines)
    shown = lines[shift:] + lines[:shift]
    passages = "\n".join(f"[{n}] {line}" for n, line in enumerate(shown, start=1))
    return load_prompt("answer").render(refusal=REFUSAL, passages=passages, question=QUESTION)


def variants(models_dir: Path | None = None, quants: tuple[str, ...] = ("Q4_0",)) -> tuple[list[Variant], list[str]]:
    """The variants this machine can run, and one note per variant it cannot."""
    from assistant.models.llm import llama_cpp_problem
    from assistant.settings import Settings

    found = [Variant("xllamacpp", "Q4_K_M", None)]
    notes: list[str] = []
    problem = llama_cpp_problem()
    if problem:
        notes.append(f"llama-cpp skipped: {problem}")
    else:
        found.append(Variant("llama-cpp", "Q4_K_M", None))
    if quants:
        from assistant.models.install.quantize import requantised_model

        settings = Settings(models_dir=models_dir) if models_dir else Settings()
        for quant in quants:
            try:
                path = requantised_model(settings, quant)
            except Exception as exc:  # noqa: BLE001 - a variant that cannot be made is reported, not fatal
                notes.append(f"{quant} skipped: {exc}")
                continue
            found += [
                Variant(runtime, quant, path)
                for runtime in ("xllamacpp", "llama-cpp")
                if runtime == "xllamacpp" or not problem
            ]
    return found, notes


class Worker:
    """A child process holding one variant's model; answers one run per request, as JSON lines."""

    def __init__(self, variant: Variant, threads: int, max_tokens: int, chars: int) -> None:
        command = [
            sys.executable,
            "-m",
            "eval.bench.prefill",
            "--worker",
            variant.runtime,
            "--threads",
            str(threads),
            "--max-tokens",
            str(max_tokens),
            "--chars",
            str(chars),
        ]
        if variant.path is not None:
            command += ["--model", str(variant.path)]
        env = dict(os.environ, HF_HUB_OFFLINE="1")
        self.variant = variant
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env
        )
        self.info = self._read()

    def _read(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.variant.label} worker exited ({self._process.wait()})")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"{self.variant.label}: {reply['error']}")
        return dict(reply)

    def run(self, index: int) -> dict[str, Any]:
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps({"run": index}) + "\n")
        self._process.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self._process.stdin:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()


def serve(runtime: str, model: Path | None, threads: int, max_tokens: int, chars: int) -> None:
    """The worker: load the model, warm it up, then time one answer-prompt run per request on stdin."""
    from assistant.models.llm import LocalChatModel
    from assistant.settings import Settings

    out = sys.stdout
    sys.stdout = sys.stderr  # only this protocol goes to the parent
    try:
        settings = Settings(llm_runtime=runtime, llm_model_path=model, llm_threads=threads)
        chat = LocalChatModel(settings)
        started = time.perf_counter()
        chat.load()
        load_s = time.perf_counter() - started
        lines = evidence_lines(chars)
        chat.complete(
            prompt_for(len(lines) // 2, lines), max_tokens=max_tokens
        )  # caches the system prefix, pages the model in
        out.write(json.dumps({"load_s": round(load_s, 2), "system_info": system_info(runtime)}) + "\n")
        out.flush()
    except Exception as exc:  # noqa: BLE001 - the parent process reports whatever stopped the child
        out.write(json.dumps({"error": str(exc)}) + "\n")
        out.flush()
        return
    for request in sys.stdin:
        index = json.loads(request)["run"]
        started = time.perf_counter()
        first = None
        for _ in chat.stream(prompt_for(index, lines), max_tokens=max_tokens):
            if first is None:
                first = time.perf_counter() - started
        total = time.perf_counter() - started
        timings = chat.last_timings
        out.write(
            json.dumps(
                {
                    "first_token_s": first if first is not None else total,
                    "total_s": total,
                    "prompt_n": timings.get("prompt_n"),
                    "cache_n": timings.get("cache_n"),
                    "prompt_per_second": timings.get("prompt_per_second"),
                    "predicted_n": timings.get("predicted_n"),
                    "predicted_per_second": timings.get("predicted_per_second"),
                }
            )
            + "\n"
        )
        out.flush()


def system_info(runtime: str) -> str:
    """llama.cpp's own line about the CPU features it was built with."""
    if runtime == "xllamacpp":
        import xllamacpp

        return str(xllamacpp.get_system_info()).strip()
    import llama_cpp

    return llama_cpp.llama_print_system_info().decode(errors="replace").strip()


def run(
    runs: int = 5,
    max_tokens: int = 48,
    chars: int = EVIDENCE_CHARS,
    threads: int | None = None,
    quants: tuple[str, ...] = ("Q4_0",),
    models_dir: Path | None = None,
) -> dict[str, Any]:
    """Measure every variant, interleaved; the result for report.json."""
    from assistant.settings import Settings

    threads = threads or Settings().llm.threads
    found, notes = variants(models_dir, quants)
    workers: list[Worker] = []
    result: dict[str, Any] = {
        "runs": runs,
        "max_tokens": max_tokens,
        "evidence_chars": len("\n".join(evidence_lines(chars))),
        "threads": threads,
        "load_average_start": os.getloadavg()[0],
        "notes": notes,
        "variants": {},
    }
    try:
        for variant in found:
            try:
                workers.append(Worker(variant, threads, max_tokens, chars))
            except RuntimeError as exc:
                notes.append(f"{variant.label} skipped: {exc}")
        samples: dict[str, list[dict[str, Any]]] = {w.variant.label: [] for w in workers}
        for index in range(runs):
            order = workers if index % 2 == 0 else workers[::-1]  # no variant always goes first
            for worker in order:
                samples[worker.variant.label].append(worker.run(index))
    finally:
        for worker in workers:
            worker.close()
    result["load_average_end"] = os.getloadavg()[0]
    for worker in workers:
        label = worker.variant.label
        rows = samples[label]

        def p50(key: str, rows: list[dict[str, Any]] = rows) -> float | None:
            values = [row[key] for row in rows if row.get(key) is not None]
            return round(percentile(values, 50), 2) if values else None

        result["variants"][label] = {
            "runtime": worker.variant.runtime,
            "quant": worker.variant.quant,
            "model": str(worker.variant.path) if worker.variant.path else "packaged",
            "prompt_tokens_per_s_p50": p50("prompt_per_second"),
            "generated_tokens_per_s_p50": p50("predicted_per_second"),
            "first_token_p50_s": p50("first_token_s"),
            "prompt_tokens_read_p50": p50("prompt_n"),
            "prompt_tokens_cached_p50": p50("cache_n"),
            "load_s": worker.info.get("load_s"),
            "system_info": worker.info.get("system_info"),
            "samples": rows,
        }
    base = result["variants"].get(BASELINE)
    for entry in result["variants"].values():
        if base:
            for key, ratio in (
                ("prompt_tokens_per_s_p50", "prompt_tokens_per_s_vs_wheel"),
                ("generated_tokens_per_s_p50", "generated_tokens_per_s_vs_wheel"),
                ("first_token_p50_s", "first_token_s_vs_wheel"),
            ):
                if entry[key] and base[key]:
                    entry[ratio] = round(entry[key] / base[key], 2)
    return result


def markdown(result: dict[str, Any]) -> list[str]:
    """The Markdown section of the report."""
    lines = [
        (
            f"Each of {result['runs']} runs per variant reads the answer prompt with "
            f"{result['evidence_chars']} characters of "
            f"evidence (system prefix cached) and writes up to {result['max_tokens']} tokens, "
            f"{result['threads']} threads; "
            f"variants interleaved in one run (load average {result['load_average_start']:.1f} at the start, "
            f"{result['load_average_end']:.1f} at the end). Ratios against the xllamacpp wheel with the "
            "packaged Q4_K_M."
        ),
        "",
        (
            "| runtime | model | prompt tok/s | vs wheel | generated tok/s | vs wheel | first token p50 (s) | vs "
            "wheel | prompt tokens read |"
        ),
        "|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {entry['runtime']} | {entry['quant']} | {entry['prompt_tokens_per_s_p50']} | "
        f"{entry.get('prompt_tokens_per_s_vs_wheel', '')} "
        f"| {entry['generated_tokens_per_s_p50']} | {entry.get('generated_tokens_per_s_vs_wheel', '')} "
        f"| {entry['first_token_p50_s']} | {entry.get('first_token_s_vs_wheel', '')} | "
        f"{entry['prompt_tokens_read_p50']} |"
        for entry in result["variants"].values()
    ]
    lines += ["", "Targets: prompt tok/s >= 1.5x the wheel's; first token p50 <= 3 s on an idle machine.", ""]
    lines += [f"- `{label}` system info: `{entry['system_info']}`" for label, entry in result["variants"].items()]
    lines += [f"- {note}" for note in result["notes"]]
    return [*lines, ""]


def section(runs: int = 5) -> tuple[dict[str, Any], list[str]]:
    """The "prefill" part of `qa bench`: the result for report.json and the Markdown section."""
    result = run(runs=runs)
    return result, [
        "## Prompt reading (prefill) of the local model, per runtime and quantisation",
        "",
        *markdown(result),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Prefill speed of the local model per runtime and quantisation.")
    parser.add_argument("--worker", choices=("xllamacpp", "llama-cpp"), help=argparse.SUPPRESS)
    parser.add_argument("--model", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=48)
    parser.add_argument("--chars", type=int, default=EVIDENCE_CHARS)
    parser.add_argument(
        "--json", type=Path, default=None, help="also write the whole result, every sample included, here"
    )
    parser.add_argument(
        "--quant",
        action="append",
        default=None,
        help="requantised variants to add (repeatable; default Q4_0; 'none' for none)",
    )
    args = parser.parse_args(argv)
    if args.worker:
        serve(args.worker, args.model, args.threads or 2, args.max_tokens, args.chars)
        return
    quants = tuple(q for q in (args.quant if args.quant is not None else ["Q4_0"]) if q != "none")
    result = run(args.runs, args.max_tokens, args.chars, args.threads, quants)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    print("\n".join(markdown(result)))


if __name__ == "__main__":
    main()
