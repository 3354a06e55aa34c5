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

from eval import metrics

HIGHER_IS_BETTER = [
    "hit@1", "hit@3", "hit@5", "hit@10", "mrr", "answer_contains", "answer_f1", "answer_em",
    "refusal_accuracy", "refusal_precision", "refusal_recall",
    "citation_validity", "raw_citation_validity", "citation_precision", "citation_recall", "judge_faithfulness", "judge_correctness",
]
LOWER_IS_BETTER = ["latency_p50_s", "latency_p95_s", "retrieve_p50_s", "answer_p50_s"]
PACKAGES = ["cited-qa", "chromadb", "sentence-transformers", "langchain-core", "xllamacpp", "torch"]


def _mean(values: Sequence[float | None]) -> float:
    present = [value for value in values if value is not None]
    return round(sum(present) / len(present), 4) if present else 0.0


def aggregate(records: Sequence[dict[str, Any]]) -> dict[str, float]:
    """The flat metrics object of report.json."""
    result: dict[str, float] = {"n": len(records)}
    for k in (1, 3, 5, 10):
        result[f"hit@{k}"] = _mean([r[f"hit@{k}"] for r in records])
    result["mrr"] = _mean([r["rr"] for r in records])
    for name in ("answer_contains", "answer_f1", "answer_em", "citation_validity", "citation_precision", "citation_recall"):
        result[name] = _mean([r[name] for r in records])
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
    for name, key in (("latency", "latency_s"), ("retrieve", "retrieve_s"), ("answer", "answer_s")):
        values = [r[key] for r in records]
        result[f"{name}_p50_s"] = round(metrics.percentile(values, 50), 3)
        if name == "latency":
            result["latency_p95_s"] = round(metrics.percentile(values, 95), 3)
    return result


def per_tag(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """answer_contains, hit@5 and count for each tag."""
    tags = sorted({tag for record in records for tag in record["tags"]})
    return {
        tag: {
            "n": sum(tag in r["tags"] for r in records),
            "answer_contains": _mean([r["answer_contains"] for r in records if tag in r["tags"]]),
            # Unanswerable items have no retrieval target: None rather than a misleading 0.
            "hit@5": _mean([r["hit@5"] for r in records if tag in r["tags"]])
            if any(r["hit@5"] is not None for r in records if tag in r["tags"])
            else None,
        }
        for tag in tags
    }


def badness(record: dict[str, Any]) -> float:
    """Lower is worse: used to pick the questions to show first."""
    return record["answer_contains"] + (record["hit@5"] or 0) + record["citation_validity"] + (record["citation_precision"] or 0)


def versions() -> dict[str, str]:
    """Versions of the packages that shape the results."""
    found = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def markdown(report: dict[str, Any]) -> str:
    """report.md: metrics table, per-tag table, worst questions with what was retrieved."""
    lines = [f"# Evaluation report: {Path(report['gold']).name}", "",
             f"Corpus `{report['corpus']}`, answerer `{report['settings']['answerer']}`, k={report['settings']['k']}, "
             f"{report['created']}.", "", "| metric | value |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in report["metrics"].items()]
    lines += ["", "## By tag", "", "| tag | n | answer_contains | hit@5 |", "|---|---|---|---|"]
    lines += [f"| {tag} | {v['n']} | {v['answer_contains']} | {'n/a' if v['hit@5'] is None else v['hit@5']} |" for tag, v in report["per_tag"].items()]
    lines += ["", "## Worst 10 questions", ""]
    for record in sorted(report["per_question"], key=badness)[:10]:
        lines += [f"### {record['id']}: {record['question']}", "",
                  f"- gold: {record['gold_answers'] or '(unanswerable)'}",
                  f"- answer: {record['answer']}",
                  f"- contains answer {record['answer_contains']}, hit@5 {record['hit@5']}, "
                  f"citation precision {record['citation_precision']}", "- retrieved:"]
        lines += [f"  {i}. {p['source']} [{p['start']}-{p['end']}]: {' '.join(p['text'].split())[:160]}"
                  for i, p in enumerate(record["retrieved"], start=1)]
        lines.append("")
    return "\n".join(lines)


def write_report(records: Sequence[dict[str, Any]], info: dict[str, Any], out: Path) -> dict[str, Any]:
    """Write everything into a temp folder inside ``out``, then move it in place: no half-written report."""
    from eval.plots import write_plots

    report = {
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
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
