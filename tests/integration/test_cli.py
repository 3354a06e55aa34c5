"""The `qa` commands as a user runs them: output, exit codes and one-line errors."""

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
    root.mkdir()
    (root / "ferry.md").write_text("The island ferry departs every 40 minutes from pier 3.\n", encoding="utf-8")
    (root / "bread.txt").write_text("Sourdough needs a starter fed with flour and water.\n", encoding="utf-8")
    return root


def test_ingest_then_search_then_list_then_remove(cli: CliRunner, docs: Path) -> None:
    ingest = cli.invoke(main, ["ingest", str(docs)])
    assert ingest.exit_code == 0 and "2 added -> collection 'docs'" in ingest.output
    search = cli.invoke(main, ["search", "ferry pier", "-k", "1"])
    assert "ferry.md" in search.output and "from **pier** 3" in search.output
    listing = cli.invoke(main, ["sources", "list"])
    assert "2 sources in collection 'docs'" in listing.output
    removed = cli.invoke(main, ["sources", "remove", str(docs / "ferry.md")])
    assert removed.exit_code == 0 and "removed:" in removed.output
    assert "1 source in" in cli.invoke(main, ["sources"]).output


def test_ask_streams_an_answer_and_lists_its_sources(cli: CliRunner, docs: Path) -> None:
    cli.invoke(main, ["ingest", str(docs)])
    result = cli.invoke(main, ["ask", "How often does the island ferry depart?"])
    assert result.exit_code == 0
    assert "every 40 minutes" in result.output
    assert "[1] ferry.md, chars 0-" in result.output


def test_failed_files_make_ingest_exit_non_zero_with_the_reason(cli: CliRunner, docs: Path) -> None:
    (docs / "empty.txt").write_text("")
    result = cli.invoke(main, ["ingest", str(docs), str(docs / "nope.md")])
    assert result.exit_code == 1
    # The full path: two empty notes.txt in two folders are told apart.
    assert f"failed: {(docs / 'empty.txt').resolve()}: the file is empty" in result.output
    assert "nope.md: no such file or directory" in result.output
    assert "2 added" in result.output


@pytest.mark.parametrize(
    ("variable", "value", "args", "message"),
    [
        ("QA_ANSWERER", "foo", ["ask", "hello"], "Error: setting 'answerer' (from environment variable QA_ANSWERER):"),
        ("QA_COLLECTION", "a", ["sources"], "Error: setting 'collection' (from environment variable QA_COLLECTION):"),
    ],
)
def test_a_bad_variable_is_blamed_on_the_variable(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, args: list[str], message: str
) -> None:
    monkeypatch.setenv(variable, value)
    result = cli.invoke(main, args)
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith(message)


def test_the_collection_variable_still_picks_the_collection_and_the_flag_wins(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, docs: Path
) -> None:
    monkeypatch.setenv("QA_COLLECTION", "mine")
    assert "-> collection 'mine'" in cli.invoke(main, ["ingest", str(docs)]).output
    assert "-> collection 'theirs'" in cli.invoke(main, ["ingest", str(docs), "--collection", "theirs"]).output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask", "   "], "Error: the question is empty"),
        (["ask", "hello", "--collection", "no spaces allowed"], "Error: setting 'collection'"),
        (
            ["ask", "hello", "--answerer", "nonsense"],
            "Error: setting 'answerer' (from the command line or caller): Input should be 'local'",
        ),
        (["sources", "remove", "never-added.txt"], "Error: never-added.txt: not a source of collection 'docs'"),
    ],
)
def test_errors_are_one_clear_line_and_exit_1(cli: CliRunner, args: list[str], message: str) -> None:
    result = cli.invoke(main, args)
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith(message)
    assert "Traceback" not in result.output


def test_verbose_shows_the_traceback(cli: CliRunner) -> None:
    result = cli.invoke(main, ["ask", "  ", "--verbose"])
    assert result.exit_code == 1
    assert "Traceback" in result.output


def test_chat_keeps_the_conversation_and_quits(cli: CliRunner, docs: Path) -> None:
    cli.invoke(main, ["ingest", str(docs)])
    result = cli.invoke(main, ["chat"], input="Where does the island ferry depart from?\n/new\n/quit\n")
    assert result.exit_code == 0
    assert "pier 3" in result.output and "(new conversation)" in result.output


def test_a_cold_qa_ask_loads_no_heavy_library_it_does_not_use(docs: Path, tmp_path: Path) -> None:
    """Cold start: the default embedder runs without torch, and nothing pulls in scikit-learn, pandas or SciPy."""
    import json
    import os
    import subprocess
    import sys

    env = {key: value for key, value in os.environ.items() if not key.startswith("QA_")}
    env.update({"QA_DATA_DIR": str(tmp_path / "data"), "QA_ANSWERER": "extractive", "HF_HUB_OFFLINE": "1"})
    code = (
        "import json, sys\n"
        "from assistant.cli import main\n"
        f"sys.argv = ['qa', 'ingest', {str(docs)!r}]\n"
        "main(standalone_mode=False)\n"
        "sys.argv = ['qa', 'ask', 'How often does the island ferry depart?']\n"
        "main(standalone_mode=False)\n"
        "heavy = ('torch', 'sentence_transformers', 'transformers', 'sklearn', 'pandas', 'scipy', "
        "'langchain_community')\n"
        "print(json.dumps(sorted(name for name in heavy if name in sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "40 minutes" in done.stdout
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
