"""`qa eval` options: rejected before anything is loaded, and --verbose like the other commands."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.cli import main


def run_args(tmp_path: Path) -> list[str]:
    return ["eval", "--corpus", str(tmp_path), "--gold", str(tmp_path / "gold.jsonl"), "--out", str(tmp_path / "out")]


@pytest.mark.parametrize(("option", "value"), [("-k", "0"), ("-k", "51"), ("--limit", "0"), ("--limit", "-1")])
def test_out_of_range_numbers_are_usage_errors(tmp_path: Path, option: str, value: str) -> None:
    result = CliRunner().invoke(main, [*run_args(tmp_path), option, value])
    assert result.exit_code == 2
    assert f"Invalid value for '{option}'" in result.output and "range" in result.output


def test_fail_under_help_says_latencies_are_ceilings() -> None:
    result = CliRunner().invoke(main, ["eval", "--help"])
    assert result.exit_code == 0 and "ceilings" in result.output and "--verbose" in result.output


@pytest.fixture
def bad_squad(tmp_path: Path) -> Path:
    source = tmp_path / "squad.json"
    source.write_text(json.dumps({"data": [{"title": "T", "paragraphs": [{"qas": []}]}]}))
    return source


def test_errors_are_one_line_without_verbose(tmp_path: Path, bad_squad: Path) -> None:
    result = CliRunner().invoke(main, ["eval", "convert", str(bad_squad), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "missing field 'context'" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("where", ["group", "subcommand"])
def test_verbose_shows_the_traceback(tmp_path: Path, bad_squad: Path, where: str) -> None:
    args = ["convert", str(bad_squad), "--out", str(tmp_path / "out")]
    args = ["eval", "-v", *args] if where == "group" else ["eval", *args, "--verbose"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert "Traceback" in result.output and "missing field 'context'" in result.output


def test_corpus_and_collection_together_are_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, [*run_args(tmp_path), "--collection", "team"])
    assert result.exit_code == 2
    assert "give --corpus or --collection, not both" in result.output


def test_an_unknown_or_empty_collection_is_an_error_naming_the_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path / "data"))
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"id": "q1", "question": "When?", "answers": ["spring"]}\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", "--collection", "nothing-here", "--gold", str(gold)])
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--collection'" in result.output
    assert "'nothing-here' holds no documents" in result.output and "no collection holds documents yet" in result.output
    assert not (tmp_path / "data" / "reports").exists()


def test_a_collection_is_evaluated_as_it_is_with_the_report_in_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant import Settings, build_assistant
    from assistant.models.embedder import FakeEmbedder

    data = tmp_path / "data"
    monkeypatch.setenv("QA_DATA_DIR", str(data))
    monkeypatch.setenv("QA_EMBEDDER", "fake")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "bees.txt").write_text("Bees swarm in spring when the hive grows crowded.\n", encoding="utf-8")
    settings = Settings(data_dir=data, collection="bees", answerer="extractive", embedder="fake")
    build_assistant(settings, embedder=FakeEmbedder()).ingest([docs / "bees.txt"])
    gold = tmp_path / "bees-gold.jsonl"
    gold.write_text(
        '{"id": "q1", "question": "When do bees swarm?", "answers": ["spring"], "sources": ["bees.txt"]}\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["eval", "-c", "bees", "--gold", str(gold), "-a", "extractive"])
    assert result.exit_code == 0, result.output
    report = json.loads((data / "reports" / "bees-gold-extractive" / "report.json").read_text())
    assert report["metrics"]["hit@1"] == 1.0 and report["collection"] == "bees"
    catalog = build_assistant(settings, embedder=FakeEmbedder()).catalog
    assert [name for name, *_ in catalog.records.collections()] == ["bees"]
