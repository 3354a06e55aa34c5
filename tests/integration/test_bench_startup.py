"""The cold-start and scale-out benchmarks on a tiny folder, through real `qa` processes and servers, so
they never rot. No timing is asserted: only that every figure is there and means what it says."""

from pathlib import Path

from eval.bench.scaleout import bench_scaleout, scaleout_lines
from eval.bench.startup import bench_startup, startup_lines


def tiny_corpus(root: Path) -> Path:
    root.mkdir()
    (root / "russia.txt").write_text(
        "Russia demands that Ukraine never joins NATO. Moscow also wants sanctions lifted before any talks.",
        encoding="utf-8",
    )
    (root / "bees.txt").write_text(
        "A healthy hive holds about 50,000 bees in summer. Swarms leave in May.", encoding="utf-8"
    )
    return root


def test_startup_figures_come_from_real_processes(tmp_path: Path) -> None:
    messages: list[str] = []
    result = bench_startup(tiny_corpus(tmp_path / "docs"), tmp_path / "work", messages.append, local=False)
    assert result["files"] == 2
    for key in ("ingest_s", "reingest_unchanged_s", "ask_extractive_s", "refusal_cold_s", "refusal_after_load_s"):
        assert result[key] > 0, key
    # The extractive answerer loads the embedding model, so its process is larger than an idle server's.
    assert result["ask_extractive_rss_gb"] > result["serve"]["peak_rss_gb"] > 0
    assert result["ui"]["start_to_healthy_s"] > 0
    table = "\n".join(startup_lines(result))
    assert "`qa ingest` again, nothing changed" in table and "| <= 4 |" in table and "Peak memory" in table


def test_scaleout_runs_two_workers_on_one_chroma_server(tmp_path: Path) -> None:
    queries = ["What does Russia demand?", "How many bees live in a hive?"] * 4
    result = bench_scaleout(tiny_corpus(tmp_path / "docs"), queries, tmp_path / "work", lambda message: None, clients=2)
    assert result["searches"] == 8 and result["one_worker_per_s"] > 0 and result["two_workers_per_s"] > 0
    assert not (tmp_path / "work" / "data" / "chroma").exists(), "the vectors must live in the Chroma server"
    assert "two workers" in scaleout_lines(result)[0]
