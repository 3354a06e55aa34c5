"""`--source` takes a file the way `qa search` shows it: its name, not only the full stored path."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.cli import main


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("QA_EMBEDDER", "fake")
    monkeypatch.setenv("QA_ANSWERER", "extractive")
    return CliRunner()


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    (root / "2023").mkdir(parents=True)
    (root / "2024").mkdir()
    (root / "ferry.md").write_text("The island ferry departs every 40 minutes from pier 3.\n", encoding="utf-8")
    (root / "bread.txt").write_text(
        "Sourdough needs a starter fed with flour and water at the pier.\n", encoding="utf-8"
    )
    (root / "2023" / "notes.txt").write_text("In 2023 the pier was painted blue.\n", encoding="utf-8")
    (root / "2024" / "notes.txt").write_text("In 2024 the pier was painted green.\n", encoding="utf-8")
    return root


def _hits(output: str) -> list[str]:
    return [line.split(",")[0].split(". ", 1)[1] for line in output.splitlines() if line[:1].isdigit()]


def test_search_takes_the_file_name_the_hits_show(cli: CliRunner, docs: Path) -> None:
    assert cli.invoke(main, ["ingest", str(docs), "--collection", "docs"]).exit_code == 0
    everything = cli.invoke(main, ["search", "pier", "-k", "5", "--collection", "docs"])
    assert "bread.txt" in _hits(everything.output)

    only = cli.invoke(main, ["search", "pier", "-k", "5", "--source", "bread.txt", "--collection", "docs"])
    assert only.exit_code == 0, only.output
    assert _hits(only.output) == ["bread.txt"]


def test_search_still_takes_a_path_and_the_end_of_one(cli: CliRunner, docs: Path) -> None:
    assert cli.invoke(main, ["ingest", str(docs), "--collection", "docs"]).exit_code == 0
    by_path = cli.invoke(main, ["search", "pier", "--source", str(docs / "ferry.md"), "--collection", "docs"])
    assert _hits(by_path.output) == ["ferry.md"]
    by_tail = cli.invoke(main, ["search", "pier", "--source", "2024/notes.txt", "--collection", "docs"])
    assert by_tail.exit_code == 0, by_tail.output
    assert _hits(by_tail.output) == ["notes.txt"] and "green" in by_tail.output


def test_an_ambiguous_name_lists_the_files_it_could_mean(cli: CliRunner, docs: Path) -> None:
    assert cli.invoke(main, ["ingest", str(docs), "--collection", "docs"]).exit_code == 0
    for args in (["search", "pier", "--source", "notes.txt"], ["sources", "remove", "notes.txt"]):
        result = cli.invoke(main, [*args, "--collection", "docs"])
        assert result.exit_code == 1
        assert str(docs / "2023" / "notes.txt") in result.output and str(docs / "2024" / "notes.txt") in result.output
        assert "give the full path" in result.output


def test_a_name_the_collection_does_not_hold_is_one_line(cli: CliRunner, docs: Path) -> None:
    assert cli.invoke(main, ["ingest", str(docs), "--collection", "docs"]).exit_code == 0
    result = cli.invoke(main, ["search", "pier", "--source", "menu.pdf", "--collection", "docs"])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: menu.pdf: not a source of collection 'docs'; see `qa sources list`"
