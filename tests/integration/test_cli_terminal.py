"""`qa` used from a terminal as a new user would, each command in its own process on the real embedding model:
where the data lives, folders kept in sync, what search shows, chat commands, settings typos, collections that
hold nothing, an interrupted ingest, the claim check's changes printed once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.fake_llm_server import fake_llm_server
from tests.fixtures.ferry import PARTIAL_QUESTION, PARTIAL_REPLY, write_ferry_document

ROOT = Path(__file__).resolve().parents[2]


class Terminal:
    """A user's shell: a home of its own (so the per-user data folder is a temp one), no QA_* variable unless set."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.data_home = home / ".local" / "share"
        self.env = {key: value for key, value in os.environ.items() if not key.startswith(("QA_", "XDG_"))}
        self.env.update(
            {
                "PYTHONPATH": str(ROOT),
                "XDG_DATA_HOME": str(self.data_home),
                "QA_ANSWERER": "extractive",
                "HF_HUB_OFFLINE": "1",
                "HF_HUB_DISABLE_PROGRESS_BARS": "1",
                "PYTHONUNBUFFERED": "1",
            }
        )

    @property
    def user_data(self) -> Path:
        return self.data_home / "cited-qa"

    def run(
        self, *args: str, cwd: Path, stdin: str | None = None, env: dict[str, str] | None = None, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "assistant", *args],
            cwd=cwd,
            env={**self.env, **(env or {})},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


@pytest.fixture
def term(tmp_path: Path) -> Terminal:
    (tmp_path / "home").mkdir()
    return Terminal(tmp_path / "home")


def notes(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ferry.md").write_text(
        "# Island ferry\n\nThe island ferry departs every 40 minutes from pier 3. Tickets cost 4 euros at the kiosk "
        "beside the harbour office, and children under twelve travel free.\n",
        encoding="utf-8",
    )
    (folder / "bread.txt").write_text(
        "Sourdough needs a starter fed with flour and water. Bake the loaf at 230 degrees for forty minutes.\n",
        encoding="utf-8",
    )
    (folder / "bees.txt").write_text(
        "A beehive holds one queen. Worker bees gather nectar and pollen within three kilometres of the hive.\n",
        encoding="utf-8",
    )
    return folder


def test_documents_ingested_in_one_folder_are_found_from_any_other(term: Terminal, tmp_path: Path) -> None:
    docs = notes(tmp_path / "work" / "docs")
    ingested = term.run("ingest", "docs", cwd=tmp_path / "work")
    assert ingested.returncode == 0, ingested.stderr
    assert f"3 added -> collection 'docs' in {term.user_data}" in ingested.stdout
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    listing = term.run("sources", "list", cwd=elsewhere)
    assert str(docs / "ferry.md") in listing.stdout
    assert f"3 sources in collection 'docs', data folder {term.user_data}" in listing.stdout
    answer = term.run("ask", "How often does the island ferry depart?", cwd=elsewhere)
    assert "every 40 minutes" in answer.stdout and "warning" not in answer.stderr
    assert not (tmp_path / "work" / ".qa-data").exists() and not (elsewhere / ".qa-data").exists()


def test_a_project_with_a_qa_toml_keeps_its_data_beside_it_from_any_subfolder(term: Terminal, tmp_path: Path) -> None:
    project = tmp_path / "project"
    notes(project / "docs")
    (project / "qa.toml").write_text('collection = "handbook"\n', encoding="utf-8")
    deep = project / "docs" / "more"
    deep.mkdir()
    ingested = term.run("ingest", "..", cwd=deep)
    assert ingested.returncode == 0, ingested.stderr
    assert f"3 added -> collection 'handbook' in {project / '.qa-data'}" in ingested.stdout
    listing = term.run("sources", cwd=project)
    assert f"3 sources in collection 'handbook', data folder {project / '.qa-data'}" in listing.stdout
    assert not term.user_data.exists()  # the project's data stays in the project
    # QA_DATA_DIR still wins over both.
    other = tmp_path / "other-data"
    assert f"data folder {other}" in term.run("sources", cwd=deep, env={"QA_DATA_DIR": str(other)}).stdout


def test_a_folder_ingested_again_loses_the_files_deleted_from_it_and_nothing_else(
    term: Terminal, tmp_path: Path
) -> None:
    docs = notes(tmp_path / "docs")
    loose = tmp_path / "loose.txt"
    loose.write_text("The harbour office opens at eight and closes at six on weekdays.\n", encoding="utf-8")
    assert term.run("ingest", str(docs), str(loose), cwd=tmp_path).returncode == 0
    (docs / "bread.txt").unlink()
    (docs / "bees.txt").rename(tmp_path / "bees.txt")  # moved out of the folder: gone from it too
    synced = term.run("ingest", str(docs), cwd=tmp_path)
    assert synced.returncode == 0, synced.stderr
    assert f"removed: {docs / 'bread.txt'} (gone from the folder; 1 chunk)" in synced.stdout
    assert f"removed: {docs / 'bees.txt'} (gone from the folder; 1 chunk)" in synced.stdout
    assert "1 unchanged, 2 removed" in synced.stdout
    listing = term.run("sources", "list", cwd=tmp_path).stdout
    assert "bread.txt" not in listing and "bees.txt" not in listing
    assert str(loose) in listing and str(docs / "ferry.md") in listing  # a source outside the folder stays
    gone = term.run("search", "sourdough starter flour", cwd=tmp_path).stdout
    assert "bread.txt" not in gone


def test_keep_missing_keeps_the_files_deleted_from_the_folder(term: Terminal, tmp_path: Path) -> None:
    docs = notes(tmp_path / "docs")
    assert term.run("ingest", str(docs), cwd=tmp_path).returncode == 0
    (docs / "bread.txt").unlink()
    kept = term.run("ingest", str(docs), "--keep-missing", cwd=tmp_path)
    assert kept.returncode == 0 and "2 unchanged -> " in kept.stdout and "removed" not in kept.stdout
    assert "bread.txt" in term.run("sources", cwd=tmp_path).stdout


def test_search_shows_the_matching_sentence_with_the_query_words_marked_and_a_relevance(
    term: Terminal, tmp_path: Path
) -> None:
    notes(tmp_path / "docs")
    assert term.run("ingest", "docs", cwd=tmp_path).returncode == 0
    found = term.run("search", "ticket price at the kiosk", "-k", "2", cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    lines = found.stdout.splitlines()
    # File, section (the Markdown heading), offsets, relevance: the same order as `qa ask`'s sources.
    assert lines[0].startswith("1. ferry.md, Island ferry, chars ") and "relevance 0." in lines[0]
    # The sentence that answers, not the chunk's start (the heading and the departure times).
    assert lines[1].strip() == (
        "**Tickets** cost 4 euros at the **kiosk** beside the harbour office, and children under twelve travel free."
    )
    first, second = (float(line.rsplit("relevance ", 1)[1]) for line in lines if "relevance" in line)
    assert 1 >= first > second >= 0


def test_counts_read_as_english(term: Terminal, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "one.txt").write_text("The lighthouse on the cape was built in 1871.\n", encoding="utf-8")
    ingested = term.run("ingest", str(docs), cwd=tmp_path)
    assert "(1 chunk)" in ingested.stdout and "1 chunks" not in ingested.stdout + ingested.stderr
    listing = term.run("sources", cwd=tmp_path).stdout
    assert "1 chunk  " in listing and "1 source in collection" in listing


def test_chat_commands_are_not_sent_as_questions(term: Terminal, tmp_path: Path) -> None:
    notes(tmp_path / "docs")
    assert term.run("ingest", "docs", cwd=tmp_path).returncode == 0
    chat = term.run(
        "chat", cwd=tmp_path, stdin="/help\n/sources\n/nonsense\nHow often does the island ferry depart?\n/quit\n"
    )
    assert chat.returncode == 0, chat.stderr
    out = chat.stdout
    assert "/new" in out and "/sources" in out and "/quit" in out  # the list of commands
    assert "ferry.md (1 chunk)" in out and "3 sources in collection 'docs'" in out
    assert "unknown command /nonsense" in out
    assert out.count("assistant> ") == 1  # only the question was answered
    assert "every 40 minutes" in out


def test_a_misspelt_setting_gets_a_did_you_mean(term: Terminal, tmp_path: Path) -> None:
    (tmp_path / "qa.toml").write_text('colection = "handbook"\n', encoding="utf-8")
    typo = term.run("sources", cwd=tmp_path)
    assert typo.returncode == 1
    assert (
        f"setting 'colection' (in {tmp_path / 'qa.toml'}): unknown setting; did you mean 'collection'?" in typo.stderr
    )
    (tmp_path / "qa.toml").unlink()
    env_typo = term.run("sources", cwd=tmp_path, env={"QA_COLECTION": "handbook"})
    assert env_typo.returncode == 0
    assert "QA_COLECTION is not a setting and is ignored; did you mean QA_COLLECTION?" in env_typo.stderr


@pytest.mark.parametrize(
    "command", [["sources", "list"], ["ask", "How often does the ferry depart?"], ["search", "ferry"]]
)
def test_a_collection_that_holds_nothing_is_named_with_the_data_folder(
    term: Terminal, tmp_path: Path, command: list[str]
) -> None:
    notes(tmp_path / "docs")
    assert term.run("ingest", "docs", cwd=tmp_path).returncode == 0
    result = term.run(*command, "-c", "NOSUCH", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (
        f"warning: collection 'NOSUCH' has no documents in the data folder {term.user_data}; collections there: "
        "docs (pick one with --collection); run `qa ingest PATH --collection NOSUCH` to add some"
    ) in result.stderr


def test_a_mistyped_collection_gets_the_close_name(term: Terminal, tmp_path: Path) -> None:
    notes(tmp_path / "docs")
    assert term.run("ingest", "docs", "-c", "sample", cwd=tmp_path).returncode == 0
    result = term.run("search", "ferry", "-c", "smaple", cwd=tmp_path)
    assert "collections there: sample (pick one with --collection); did you mean 'sample'?" in result.stderr


def test_a_file_name_starting_with_a_dash_gets_a_hint(term: Terminal, tmp_path: Path) -> None:
    (tmp_path / "-rf.txt").write_text("A file with an unlucky name.\n", encoding="utf-8")
    refused = term.run("ingest", "-rf.txt", cwd=tmp_path)
    assert refused.returncode == 2
    assert "write ./-rf.txt or put -- before it: qa ingest -- -rf.txt" in refused.stderr
    assert "1 added" in term.run("ingest", "./-rf.txt", cwd=tmp_path).stdout
    assert "1 unchanged" in term.run("ingest", "--", "-rf.txt", cwd=tmp_path).stdout


def test_help_shows_each_command_whole(term: Terminal, tmp_path: Path) -> None:
    shown = term.run("--help", cwd=tmp_path).stdout.split("Commands:")[1]
    assert "..." not in shown
    assert "keeping it in sync with the folders." in " ".join(shown.split())


def test_an_error_starts_on_its_own_line_after_the_progress_bar(term: Terminal, tmp_path: Path) -> None:
    docs = notes(tmp_path / "docs")
    # The data folder cannot be created (a file is in the way): the ingest fails after its bar started.
    blocker = tmp_path / "blocked"
    blocker.write_text("not a folder", encoding="utf-8")
    failed = term.run("ingest", str(docs), cwd=tmp_path, env={"QA_DATA_DIR": str(blocker / "data")})
    assert failed.returncode == 1
    error_line = next(line for line in failed.stderr.splitlines() if "Error:" in line)
    assert error_line.startswith("Error: "), failed.stderr


def test_an_interrupted_ingest_says_which_files_it_finished(term: Terminal, tmp_path: Path) -> None:
    import signal
    import time

    docs = notes(tmp_path / "docs")
    assert term.run("ingest", str(docs), cwd=tmp_path).returncode == 0
    for number in range(3):
        (docs / f"memo-{number}.txt").write_text(f"Memo {number}: the depot takes {number + 3} deliveries a week.\n")
    running = subprocess.Popen(
        [sys.executable, "-m", "assistant", "ingest", str(docs)],
        cwd=tmp_path,
        env={**term.env, "QA_PAUSE_AT": "embed"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert running.stderr is not None
    seen = ""
    deadline = time.monotonic() + 240
    while "paused at embed" not in seen and time.monotonic() < deadline:
        seen += running.stderr.read(1)
    running.send_signal(signal.SIGINT)
    _out, err = running.communicate(timeout=60)
    err = seen + err
    assert running.returncode == 130, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[-1].startswith("qa: interrupted")
    assert (
        "ingest stopped after 3 of 6 files (3 unchanged); those are stored, run the same command again for the rest"
        in err
    )


def test_a_changed_answer_is_printed_once_with_what_the_check_changed(term: Terminal, tmp_path: Path) -> None:
    write_ferry_document(tmp_path / "docs")
    assert term.run("ingest", "docs", cwd=tmp_path).returncode == 0
    with fake_llm_server(PARTIAL_REPLY) as llm:
        asked = term.run(
            "ask", PARTIAL_QUESTION, cwd=tmp_path, env={"QA_ANSWERER": "openai", "QA_LLM_BASE_URL": llm.url}
        )
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout.count("The ferry leaves every 40 minutes [1].") == 1
    assert "95 euros" not in asked.stdout  # the draft is never written, only the checked answer
    assert "(citation check: 1 sentence of the draft removed; the reasons follow)" in asked.stdout
    assert '(removed: "Tickets cost 95 euros [1]."' in asked.stderr


def test_on_a_terminal_only_the_checked_answer_is_ever_shown(term: Terminal, tmp_path: Path) -> None:
    import pty

    write_ferry_document(tmp_path / "docs")
    assert term.run("ingest", "docs", cwd=tmp_path).returncode == 0
    controller, terminal = pty.openpty()
    with fake_llm_server(PARTIAL_REPLY) as llm:
        env = {**term.env, "QA_ANSWERER": "openai", "QA_LLM_BASE_URL": llm.url, "COLUMNS": "100", "LINES": "40"}
        done = subprocess.run(
            [sys.executable, "-m", "assistant", "ask", PARTIAL_QUESTION],
            cwd=tmp_path,
            env=env,
            stdout=terminal,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
            check=False,
        )
    os.close(terminal)
    shown = b""
    while True:
        try:
            piece = os.read(controller, 4096)
        except OSError:  # the terminal's other end is closed and everything was read
            break
        if not piece:
            break
        shown += piece
    os.close(controller)
    assert done.returncode == 0, done.stderr
    text = shown.decode()
    # The check runs before anything is shown: the wrong price never reaches the screen, not even to be erased.
    assert text.startswith("The ferry leaves every 40 minutes [1].")
    assert "95 euros" not in text and "\x1b[" not in text
    assert "(citation check: 1 sentence of the draft removed; the reasons follow)" in text


@pytest.mark.llm
def test_chat_with_the_local_model_answers_questions_and_not_commands(term: Terminal, tmp_path: Path) -> None:
    notes(tmp_path / "docs")
    assert term.run("ingest", "docs", cwd=tmp_path).returncode == 0
    chat = term.run(
        "chat",
        cwd=tmp_path,
        env={"QA_ANSWERER": "local"},
        stdin="/help\nHow much does a ferry ticket cost?\n/new\n/quit\n",
    )
    assert chat.returncode == 0, chat.stderr
    assert chat.stdout.count("assistant> ") == 1 and "/sources" in chat.stdout
    assert "4 euros" in chat.stdout and "[1] ferry.md" in chat.stdout
    assert "(new conversation)" in chat.stdout
