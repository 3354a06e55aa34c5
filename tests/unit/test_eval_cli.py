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
