"""Progress in a pipe or a log is whole lines, one per step; on a terminal it is the bar redrawn in place."""

import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.cli import main
from assistant.progress import LOG_LINES, progress_bar


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_in_a_log_each_step_is_a_line_and_nothing_is_redrawn() -> None:
    log = io.StringIO()
    with progress_bar(log, total=4, desc="eval", unit="question") as bar:
        for number in range(4):
            bar.set_postfix_str(f"question {number + 1}", refresh=False)
            bar.update(1)
            bar.set_postfix_str(f"still question {number + 1}")  # a postfix alone prints no line
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue()
    assert [line.split("|")[-1].split("[")[0].strip() for line in lines] == ["1/4", "2/4", "3/4", "4/4"]
    assert lines[0].startswith("eval:  25%") and "question 1" in lines[0] and lines[-1].startswith("eval: 100%")


def test_a_long_run_in_a_log_prints_a_line_per_few_percent() -> None:
    log = io.StringIO()
    with progress_bar(log, total=10_000, desc="pool sentences", unit="sent") as bar:
        for _ in range(10_000):
            bar.update(1)
    lines = log.getvalue().splitlines()
    assert LOG_LINES - 1 <= len(lines) <= LOG_LINES + 1
    assert lines[-1].startswith("pool sentences: 100%") and "10000/10000" in lines[-1]


def test_a_bar_without_a_total_prints_its_last_count_once() -> None:
    log = io.StringIO()
    bar = progress_bar(log, desc="ingest", unit="file")
    bar.update(1)
    bar.update(1)
    bar.close()
    assert [line.split(" ")[1] for line in log.getvalue().splitlines()] == ["1file", "2file"]


def test_on_a_terminal_the_bar_is_redrawn_in_place() -> None:
    terminal = _Terminal()
    with progress_bar(terminal, total=3, desc="eval", mininterval=0) as bar:
        for _ in range(3):
            bar.update(1)
    assert terminal.getvalue().count("\r") >= 3 and terminal.getvalue().count("\n") == 1


def test_qa_ingest_into_a_pipe_logs_a_line_per_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("QA_EMBEDDER", "fake")
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("ferry.md", "bread.txt", "tides.txt"):
        (docs / name).write_text(f"The {name.split('.')[0]} note says the pier opens at nine.\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["ingest", str(docs)])
    assert result.exit_code == 0, result.output
    assert "\r" not in result.stderr
    progress = [line for line in result.stderr.splitlines() if line.startswith("ingest:")]
    assert [line.split("|")[-1].split("[")[0].strip() for line in progress] == ["1/3", "2/3", "3/3"]
    # Each line names the file just finished, not the one before it.
    assert all(
        line.rstrip("]").endswith(name)
        for line, name in zip(progress, ["bread.txt", "ferry.md", "tides.txt"], strict=True)
    )
