"""`qa eval` end to end on the sample corpus with the extractive answerer: the CI gate."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path / "data"))
    return CliRunner()


def test_sample_set_passes_the_gate_and_writes_a_full_report(cli: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = cli.invoke(
        main,
        [
            "eval",
            "--corpus",
            str(ROOT / "eval" / "corpus"),
            "--gold",
            str(ROOT / "eval" / "gold" / "sample.jsonl"),
            "--out",
            str(out),
            "--answerer",
            "extractive",
            "--fail-under",
            "hit@5=0.9",
            "--fail-under",
            "citation_validity=1.0",
            "--fail-under",
            "refusal_accuracy=0.9",
        ],
    )
    assert result.exit_code == 0, result.output
    # The ingest shows its own progress before the questions start, file by file.
    assert "ingest: 100%" in result.stderr and "10/10" in result.stderr and "eval: 100%" in result.stderr
    report = json.loads((out / "report.json").read_text())
    for name in [
        "n",
        "hit@1",
        "hit@3",
        "hit@5",
        "hit@10",
        "mrr",
        "answer_contains",
        "answer_f1",
        "refusal_accuracy",
        "citation_validity",
        "citation_precision",
        "latency_p50_s",
        "latency_p95_s",
    ]:
        assert name in report["metrics"]
    assert report["metrics"]["n"] == len(report["per_question"]) >= 40
    assert {"hit_at_k.png", "latency.png", "per_tag.png", "report.md"} <= {p.name for p in out.iterdir()}
    assert (out / "hit_at_k.png").read_bytes()[:4] == b"\x89PNG"
    assert "## Worst 10 questions" in (out / "report.md").read_text()
    assert not [p for p in out.iterdir() if p.name.startswith(".report-")]

    again = cli.invoke(main, ["eval", "compare", str(out), str(out)])
    assert again.exit_code == 0 and "hit@5" in again.output


def test_an_impossible_gate_fails_the_run(cli: CliRunner, tmp_path: Path) -> None:
    gold = tmp_path / "one.jsonl"
    gold.write_text(
        '{"id": "x", "question": "How many bees can a strong hive hold?", "answers": ["50,000"], "sources": '
        '["beekeeping_basics.txt"]}\n'
    )
    result = cli.invoke(
        main,
        [
            "eval",
            "--corpus",
            str(ROOT / "eval" / "corpus"),
            "--gold",
            str(gold),
            "--out",
            str(tmp_path / "r"),
            "--answerer",
            "extractive",
            "--fail-under",
            "latency_p50_s=0.000001",
        ],
    )
    assert result.exit_code == 1 and "gate failed: latency_p50_s" in result.output


def test_seed_set_on_the_seed_article(cli: CliRunner, tmp_path: Path, seed_corpus: Path) -> None:
    result = cli.invoke(
        main,
        [
            "eval",
            "--corpus",
            str(seed_corpus),
            "--gold",
            str(ROOT / "eval" / "gold" / "seed.jsonl"),
            "--out",
            str(tmp_path / "seed"),
            "--answerer",
            "extractive",
            "--fail-under",
            "hit@5=0.9",
        ],
    )
    assert result.exit_code == 0, result.output
