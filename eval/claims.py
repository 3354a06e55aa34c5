"""Score a sentence support check on the claim set of eval/claims_data.py, and write its report.

A judge is any ``judge(claim, sentences, question) -> (supported, reason)``; the harness never needs to know
how it decides. ``score_claims`` gives, per kind, the share of items judged as their label says, and the
three figures the targets name: ``unsupported_removed``, ``supported_kept`` and ``relation_swap_removed``.
"""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistant.errors import InputError
from eval.claims_data import KINDS

Judge = Callable[[str, list[str], str], tuple[bool, str]]
Progress = Callable[[int, int], object]
MISTAKES_SHOWN = 40


def load_claims(path: Path, split: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """The items of a claims.jsonl file, of one split when given, the first ``limit`` of them."""
    if not path.is_file():
        raise InputError(f"{path}: claims file not found; build one with `qa eval claims-data`")
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path.name} line {number}: not valid JSON ({exc.msg})") from None
        missing = [name for name in ("claim", "sentences", "label", "kind") if name not in entry]
        if missing:
            raise InputError(f"{path.name} line {number}: missing field(s) {', '.join(missing)}")
        if split is None or entry.get("split") == split:
            items.append(entry)
    if not items:
        raise InputError(f"{path}: no item{f' of split {split!r}' if split else ''}")
    return items[:limit] if limit is not None else items


def _share(flags: Sequence[bool]) -> float | None:
    return round(sum(flags) / len(flags), 4) if flags else None


def score_claims(
    items: Sequence[dict[str, Any]],
    judge: Judge,
    *,
    progress: Progress | None = None,
    records: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Run ``judge`` on every item; returns the metrics (shares are None where no item of that class was run).

    ``records``, when given, receives one entry per item: its id, kind, label, verdict, reason and seconds.
    """
    rows = []
    started = time.perf_counter()
    for done, entry in enumerate(items):
        if progress is not None:
            progress(done, len(items))
        tick = time.perf_counter()
        supported, reason = judge(entry["claim"], list(entry["sentences"]), entry.get("question", ""))
        seconds = time.perf_counter() - tick
        expected = entry["label"] == "supported"
        rows.append((entry, bool(supported), bool(supported) == expected))
        if records is not None:
            records.append(
                {
                    "id": entry.get("id"),
                    "kind": entry["kind"],
                    "label": entry["label"],
                    "judged": "supported" if supported else "unsupported",
                    "correct": bool(supported) == expected,
                    "reason": reason,
                    "seconds": round(seconds, 4),
                }
            )
    if progress is not None:
        progress(len(items), len(items))
    elapsed = time.perf_counter() - started
    kinds = [kind for kind in KINDS if any(e["kind"] == kind for e, _, _ in rows)]
    kinds += sorted({e["kind"] for e, _, _ in rows} - set(kinds))
    per_kind = {
        kind: {
            "n": sum(e["kind"] == kind for e, _, _ in rows),
            "correct": _share([c for e, _, c in rows if e["kind"] == kind]),
        }
        for kind in kinds
    }
    return {
        "n": len(rows),
        "accuracy": _share([correct for _, _, correct in rows]),
        "supported_kept": _share([judged for e, judged, _ in rows if e["label"] == "supported"]),
        "unsupported_removed": _share([not judged for e, judged, _ in rows if e["label"] == "unsupported"]),
        "relation_swap_removed": _share([not judged for e, judged, _ in rows if e["kind"] == "relation-swap"]),
        "seconds_per_item": round(elapsed / len(rows), 4) if rows else None,
        "per_kind": per_kind,
    }


def write_claims_report(
    metrics: dict[str, Any],
    records: list[dict[str, Any]],
    items: Sequence[dict[str, Any]],
    out: Path,
    info: dict[str, Any],
) -> dict[str, Any]:
    """OUT/claims-report.json (metrics, run info, every verdict) and OUT/claims-report.md (a per-kind table and
    the first misjudged items with their reasons)."""
    out.mkdir(parents=True, exist_ok=True)
    by_id = {entry.get("id"): entry for entry in items}
    mistakes = [
        {**record, "claim": by_id[record["id"]]["claim"], "sentences": by_id[record["id"]]["sentences"]}
        for record in records
        if not record["correct"] and record["id"] in by_id
    ]
    report = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        **info,
        "metrics": metrics,
        "records": records,
    }
    (out / "claims-report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    (out / "claims-report.md").write_text(markdown(report, mistakes), encoding="utf-8")
    return report


def _cell(value: Any) -> str:
    return "n/a" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def markdown(report: dict[str, Any], mistakes: list[dict[str, Any]]) -> str:
    metrics = report["metrics"]
    lines = [
        "# Claim support check",
        "",
        (
            f"{report['date']} · data `{report.get('data')}` · split {report.get('split')} · "
            f"answerer {report.get('answerer')} · n {metrics['n']}"
        ),
        "",
        "| metric | value |",
        "|---|---|",
    ]
    names = ("supported_kept", "unsupported_removed", "relation_swap_removed", "accuracy", "seconds_per_item")
    lines += [f"| {name} | {_cell(metrics.get(name))} |" for name in names]
    lines += ["", "## By kind (share judged as labelled)", "", "| kind | label | n | correct |", "|---|---|---|---|"]
    labels = {record["kind"]: record["label"] for record in report["records"]}
    for kind, row in metrics["per_kind"].items():
        lines.append(f"| {kind} | {labels.get(kind, '')} | {row['n']} | {_cell(row['correct'])} |")
    if mistakes:
        lines += ["", f"## Misjudged (first {min(len(mistakes), MISTAKES_SHOWN)} of {len(mistakes)})", ""]
        for mistake in mistakes[:MISTAKES_SHOWN]:
            lines.append(
                f"- **{mistake['kind']}** ({mistake['label']}, judged {mistake['judged']}): {mistake['claim']}"
            )
            lines.append(f"  - sentences: {' / '.join(mistake['sentences'])}")
            if mistake.get("reason"):
                lines.append(f"  - reason: {mistake['reason']}")
    return "\n".join(lines) + "\n"
