"""Compare two reports and gate runs on metric floors."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assistant.errors import InputError
from eval.report import HIGHER_IS_BETTER, LOWER_IS_BETTER


def load_report(path: Path) -> dict[str, Any]:
    """A report.json (or the folder holding one)."""
    file = path / "report.json" if path.is_dir() else path
    try:
        report: dict[str, Any] = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{file}: not a readable report.json ({exc})") from None
    if "metrics" not in report:
        raise InputError(f"{file}: has no 'metrics' object; is it a report written by `qa eval`?")
    return report


def compare(
    old: dict[str, Any], new: dict[str, Any], tolerance: float = 0.02, latency_tolerance: float = 0.5
) -> tuple[list[dict[str, Any]], bool]:
    """Rows of (metric, old, new, delta, regressed); regressed when a score drops (or unsupported_rate rises)
    by more than ``tolerance``, or a latency grows by more than ``latency_tolerance`` (a fraction of the old
    value). Metrics either report lacks or could not score (None) are left out."""
    rows = []
    for name in HIGHER_IS_BETTER + LOWER_IS_BETTER:
        if old["metrics"].get(name) is None or new["metrics"].get(name) is None:
            continue
        before, after = float(old["metrics"][name]), float(new["metrics"][name])
        if name in HIGHER_IS_BETTER:
            regressed = after < before - tolerance
        elif not name.endswith("_s"):
            regressed = after > before + tolerance
        else:
            regressed = after > before * (1 + latency_tolerance) + 0.05
        rows.append(
            {"metric": name, "old": before, "new": after, "delta": round(after - before, 4), "regressed": regressed}
        )
    return rows, any(row["regressed"] for row in rows)


def parse_floor(spec: str) -> tuple[str, float]:
    """'hit@5=0.9' -> ('hit@5', 0.9), with a clear error for unknown metrics or values."""
    name, _, value = spec.partition("=")
    valid = HIGHER_IS_BETTER + LOWER_IS_BETTER
    if name not in valid:
        raise InputError(f"--fail-under {spec!r}: unknown metric {name!r}; valid ones are: {', '.join(valid)}")
    try:
        return name, float(value)
    except ValueError:
        raise InputError(f"--fail-under {spec!r}: the value must be a number, e.g. {name}=0.9") from None


def failed_floors(metrics: Mapping[str, float | None], floors: list[tuple[str, float]]) -> list[str]:
    """Human-readable lines for each bound the metrics miss: scores are floors, latencies (*_s) and
    unsupported_rate ceilings.

    A metric missing from the report, or one it could not score (None), fails its gate: a gate that
    cannot be checked must not pass.
    """
    problems = []
    for name, bound in floors:
        value = metrics.get(name)
        if value is None:
            hint = " (judge metrics need --judge local or --judge openai)" if name.startswith("judge_") else ""
            problems.append(f"{name} is absent from the report, so the gate {name}={bound} cannot be checked{hint}")
        elif name in LOWER_IS_BETTER and value > bound:
            kind = "latencies" if name.endswith("_s") else f"{name} values"
            problems.append(f"{name} = {value} is above {bound} ({kind} are ceilings)")
        elif name in HIGHER_IS_BETTER and value < bound:
            problems.append(f"{name} = {value} is below {bound}")
    return problems


def question_changes(old: dict[str, Any], new: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(worse, better): questions of both reports (matched by id) whose answer score fell or rose, each as
    ``{"id", "question", "old", "new"}`` with the two per-question records. Compared on answer_contains, then
    hit@5, then citation_precision (a None counts as 0)."""
    before = {record["id"]: record for record in old.get("per_question", [])}
    worse, better = [], []
    for record in new.get("per_question", []):
        previous = before.get(record["id"])
        if previous is None:
            continue
        was, now = _score(previous), _score(record)
        change = {"id": record["id"], "question": record["question"], "old": previous, "new": record}
        if now < was:
            worse.append(change)
        elif now > was:
            better.append(change)
    return worse, better


def _score(record: dict[str, Any]) -> tuple[float, float, float]:
    return tuple(float(record.get(name) or 0.0) for name in ("answer_contains", "hit@5", "citation_precision"))  # type: ignore[return-value]
