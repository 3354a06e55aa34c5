"""Aggregate per-question records into metrics and write report.json, report.md and plots atomically."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from assistant.settings import read_settings_dump
from eval import metrics

HIGHER_IS_BETTER = [
    "hit@1",
    "hit@3",
    "hit@5",
    "hit@10",
    "mrr",
    "answer_contains",
    "answer_contains_answerable",
    "answer_f1",
    "answer_em",
    "answer_recall",
    "refusal_accuracy",
    "refusal_precision",
    "refusal_recall",
    "false_premise_refusal",
    "citation_validity",
    "raw_citation_validity",
    "citation_precision",
    "citation_recall",
    "number_precision",
    "judge_faithfulness",
    "judge_correctness",
]
# Latencies (*_s) and the share of answer sentences the claim check removed: lower is better.
LOWER_IS_BETTER = [
    "unsupported_rate",
    "latency_p50_s",
    "latency_p95_s",
    "first_token_p50_s",
    "retrieve_p50_s",
    "answer_p50_s",
]
PACKAGES = ["cited-qa", "chromadb", "sentence-transformers", "langchain-core", "xllamacpp", "torch"]
TAG_COLUMNS = [
    "n",
    "answer_contains",
    "answer_recall",
    "refusal_accuracy",
    "hit@5",
    "unsupported_rate",
    "number_precision",
    "citation_validity",
    "latency_p50_s",
]
FALSE_PREMISE = "false-premise"


def _mean(values: Sequence[float | None]) -> float:
    present = [value for value in values if value is not None]
    return round(sum(present) / len(present), 4) if present else 0.0


def _mean_or_none(values: Sequence[float | None]) -> float | None:
    """The mean of the values present; None when no record has one (nothing to score is not a zero)."""
    present = [value for value in values if value is not None]
    return round(sum(present) / len(present), 4) if present else None


def _ratio(top: float, bottom: float) -> float | None:
    return round(top / bottom, 4) if bottom else None


def aggregate(records: Sequence[dict[str, Any]]) -> dict[str, float | None]:
    """The flat metrics object of report.json; a metric no record can score (e.g. answer_recall on a set
    without 'required') is None."""
    result: dict[str, float | None] = {"n": len(records)}
    for k in (1, 3, 5, 10):
        result[f"hit@{k}"] = _mean([r[f"hit@{k}"] for r in records])
    result["mrr"] = _mean([r["rr"] for r in records])
    for name in (
        "answer_contains",
        "answer_f1",
        "answer_em",
        "citation_validity",
        "citation_precision",
        "citation_recall",
    ):
        result[name] = _mean([r[name] for r in records])
    result["answer_contains_answerable"] = _mean_or_none([r["answer_contains"] for r in records if r["answerable"]])
    result["answer_recall"] = _mean_or_none([r.get("answer_recall") for r in records])
    # Mean over the answers whose raw text had markers (None otherwise); older records lack the field.
    result["raw_citation_validity"] = _mean([r.get("raw_citation_validity") for r in records])
    for name in ("judge_faithfulness", "judge_correctness"):
        graded = [r[name] for r in records if r.get(name) is not None]
        if any(name in r for r in records):
            # Only the answers the judge could grade count; a run without --judge has no such metric.
            result[name] = _mean(graded)
            result[f"{name}_n"] = len(graded)
    refusals = metrics.refusal_scores([not r["answerable"] for r in records], [r["refused"] for r in records])
    result.update({name: round(value, 4) for name, value in refusals.items()})
    # Refusal accuracy on the false-premise items alone (all unanswerable: the share refused), a premise about
    # an entity the corpus does name (eval/semantic.py) included.
    premises = [r for r in records if {FALSE_PREMISE, "false-premise-named"} & set(r.get("tags", ()))]
    premise_scores = metrics.refusal_scores([not r["answerable"] for r in premises], [r["refused"] for r in premises])
    result["false_premise_refusal"] = round(premise_scores["refusal_accuracy"], 4) if premises else None
    # Pooled over all drafted sentences (a withdrawn draft's too): removed / (removed + kept); numbers found
    # in cited passages / numbers.
    shown = [r for r in records if r.get("unsupported_n") is not None]
    removed = sum(r["unsupported_n"] for r in shown)
    result["unsupported_rate"] = _ratio(removed, removed + sum(r["sentences_n"] for r in shown))
    result["number_precision"] = _ratio(
        sum(r.get("numbers_supported_n", 0) for r in records), sum(r.get("numbers_n", 0) for r in records)
    )
    for name, key in (("latency", "latency_s"), ("retrieve", "retrieve_s"), ("answer", "answer_s")):
        values = [r[key] for r in records]
        result[f"{name}_p50_s"] = round(metrics.percentile(values, 50), 3)
        if name == "latency":
            result["latency_p95_s"] = round(metrics.percentile(values, 95), 3)
    first_tokens = [r["first_token_s"] for r in records if r.get("first_token_s") is not None]
    result["first_token_p50_s"] = round(metrics.percentile(first_tokens, 50), 3) if first_tokens else None
    return result


def per_tag(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    """The TAG_COLUMNS metrics for each tag; None where the tag has nothing to score (e.g. hit@5 of
    unanswerable items, which have no retrieval target)."""
    tags = sorted({tag for record in records for tag in record["tags"]})
    table = {}
    for tag in tags:
        subset = [r for r in records if tag in r["tags"]]
        scores = aggregate(subset)
        scores["hit@5"] = _mean_or_none([r["hit@5"] for r in subset])
        table[tag] = {name: scores.get(name) for name in TAG_COLUMNS}
    return table


def badness(record: dict[str, Any]) -> float:
    """Lower is worse: used to pick the questions to show first."""
    return (
        record["answer_contains"]
        + (record["hit@5"] or 0)
        + record["citation_validity"]
        + (record["citation_precision"] or 0)
        + (record.get("answer_recall") or 0)
        - (record.get("unsupported_rate") or 0)
    )


def versions() -> dict[str, str]:
    """Versions of the packages that shape the results."""
    found = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def _cell(value: Any) -> str:
    return "n/a" if value is None else str(value)


def markdown(report: dict[str, Any]) -> str:
    """report.md: metrics table, per-tag table, worst questions with what was retrieved and what was removed."""
    settings = read_settings_dump(report["settings"])  # a report of any settings_version
    lines = [
        f"# Evaluation report: {Path(report['gold']).name}",
        "",
        (f"Corpus `{report['corpus']}`, answerer `{settings['answerer']}`, k={settings['k']}, {report['created']}."),
        "",
    ]
    lines += [f"> {warning}" for warning in report.get("gold_warnings", [])]
    lines += ["", "| metric | value |", "|---|---|"]
    lines += [f"| {name} | {_cell(value)} |" for name, value in report["metrics"].items()]
    lines += ["", "## By tag", "", "| tag | " + " | ".join(TAG_COLUMNS) + " |", "|---" * (len(TAG_COLUMNS) + 1) + "|"]
    lines += [
        f"| {tag} | " + " | ".join(_cell(scores.get(name)) for name in TAG_COLUMNS) + " |"
        for tag, scores in report["per_tag"].items()
    ]
    lines += ["", "## Worst 10 questions", ""]
    for record in sorted(report["per_question"], key=badness)[:10]:
        lines += [
            f"### {record['id']}: {record['question']}",
            "",
            f"- gold: {record['gold_answers'] or '(unanswerable)'}",
            f"- answer: {record['answer']}",
            (
                f"- contains answer {record['answer_contains']}, hit@5 {record['hit@5']}, "
                f"citation precision {record['citation_precision']}"
            ),
        ]
        if record.get("refusal_reason"):
            lines.append(f"- refusal reason: {record['refusal_reason']}")
        lines += [
            f"- removed: {removed['sentence']} ({removed['reason']})" for removed in record.get("unsupported", [])
        ]
        lines.append("- retrieved:")
        lines += [
            f"  {i}. {p['source']} [{p['start']}-{p['end']}]: {' '.join(p['text'].split())[:160]}"
            for i, p in enumerate(record["retrieved"], start=1)
        ]
        lines.append("")
    return "\n".join(lines)


def write_report(records: Sequence[dict[str, Any]], info: dict[str, Any], out: Path) -> dict[str, Any]:
    """Write everything into a temp folder inside ``out``, then move it in place: no half-written report."""
    from eval.plots import write_plots

    report = {
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        **info,
        "versions": versions(),
        "metrics": aggregate(records),
        "per_tag": per_tag(records),
        "per_question": list(records),
    }
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".report-", dir=out))
    try:
        (staging / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
        (staging / "report.md").write_text(markdown(report), encoding="utf-8")
        write_plots(report, staging)
        for item in staging.iterdir():
            os.replace(item, out / item.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return report
