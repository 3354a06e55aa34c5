"""Smoke test of `qa bench --part embedder` on a tiny size, so the benchmark never rots (real models; no
timed assertions)."""

from __future__ import annotations

import json
from pathlib import Path

from eval.bench.embedders import BASELINE, CANDIDATES, LIMIT, section, sentences

CONTEXTS = [
    "Tea grows in Assam. It is picked by hand in spring. The leaves are dried in the sun.",
    "The virus binds to the ACE2 receptor. Masks reduce transmission indoors. Vaccines were approved in 2020.",
    "Russia demands that NATO rule out membership for Ukraine. Talks resume in Geneva on Tuesday.",
]


def test_the_embedder_part_reports_every_backend_side_by_side(tmp_path: Path) -> None:
    squad = {
        "data": [
            {"title": f"Article {n}", "paragraphs": [{"context": context, "qas": []}]}
            for n, context in enumerate(CONTEXTS)
        ]
    }
    (tmp_path / "tiny.json").write_text(json.dumps(squad))
    assert len(sentences(tmp_path / "tiny.json", 6)) == 6
    result, lines = section(tmp_path / "tiny.json", count=6, rounds=1)
    throughput = result["throughput"]
    assert list(throughput) == [BASELINE, LIMIT, *CANDIDATES]
    assert throughput[BASELINE]["vs_baseline"] == 1.0 and throughput[BASELINE]["cosine_min"] > 0.9999
    assert throughput["onnx"]["cosine_min"] > 0.999 and throughput["onnx-int8"]["cosine_mean"] > 0.97
    assert all(row["texts_per_s"] > 0 and row["unit_norm_max_error"] < 1e-4 for row in throughput.values())
    process = result["process"]
    assert process["sentence-transformers"]["torch_imported"] is True
    assert all(process[name]["torch_imported"] is False and process[name]["peak_rss_mb"] > 0 for name in CANDIDATES)
    table = [line for line in lines if line.startswith("| ") and "---" not in line]
    assert len(table) == 1 + len(throughput)  # the header and one row per backend


def test_the_part_is_skipped_with_a_reason_when_the_set_is_missing(tmp_path: Path) -> None:
    result, lines = section(tmp_path / "absent.json")
    assert "skipped" in result and "not found" in lines[0]
