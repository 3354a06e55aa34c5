"""`qa bench --part X` rewrites X's section of the report and keeps the others' latest figures."""

import json
from pathlib import Path

from eval.bench.suite import Report


def test_running_one_part_keeps_the_other_parts_figures(tmp_path: Path) -> None:
    Report(tmp_path).add("ingest", {"ours_s": 300}, ["## Ingest throughput", "", "ours 300 s", ""])
    Report(tmp_path).add("startup", {"ask_extractive_s": 3.1}, ["## Cold start and memory", "", "ask 3.1 s", ""])
    again = Report(tmp_path)
    again.add("ingest", {"ours_s": 280}, ["## Ingest throughput", "", "ours 280 s", ""])
    text = (tmp_path / "report.md").read_text()
    assert "ours 280 s" in text and "ours 300 s" not in text and "ask 3.1 s" in text
    assert text.index("## Ingest throughput") < text.index("## Cold start")  # the suite's order, not the run's
    parts = json.loads((tmp_path / "report.json").read_text())["parts"]
    assert parts["ingest"]["result"] == {"ours_s": 280} and parts["startup"]["result"]["ask_extractive_s"] == 3.1
    assert all("measured" in entry and "machine" in entry for entry in parts.values())


def test_an_unreadable_old_report_is_replaced_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "report.json").write_text("{not json")
    Report(tmp_path).add("scale", {"p95_ms": 40}, ["p95 40 ms"])
    assert "## scale" in (tmp_path / "report.md").read_text()
