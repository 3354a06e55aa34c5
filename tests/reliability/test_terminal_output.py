"""Document text and file names printed by `qa` cannot attack the terminal: escape sequences (clear screen,
colours, window titles, clipboard writes) and control characters in a document or a file name never reach
it, a newline in a file name cannot forge an "added:" line, and the name is still shown as it is on disk.
Each command runs in its own process, on a pseudo-terminal where the command prints differently there."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.reliability.conftest import ROOT, qa, qa_env

FAKE = {"QA_EMBEDDER": "fake"}
# Clear the screen, red text, set the window title, write the clipboard (OSC 52), the 8-bit CSI, a bell, a
# backspace run that would hide the words before it, and a right-to-left override.
HOSTILE_TEXT = (
    "The lighthouse keeper \x1b[2J\x1b[31mlogs\x1b[0m every passing ship.\x1b]0;pwned title\x07 "
    "The lighthouse lamp \x9b2J was electrified in 1921.\x1b]52;c;ZXZpbA==\x07\x08\x08\x08\x07 "
    "The lighthouse keeper \u202eswitches the lamp on at dusk."
)
HEADED_TEXT = "# Ferry \x1b]0;owned\x07timetable\n\nThe harbour ferry \x1b[5mleaves\x1b[0m at seven every morning.\n"
# A legal Linux file name: a newline that would forge a line of its own, and escape sequences.
FORGED = "added: passwords.txt (9 chunks)"
HOSTILE_NAME = f"ships\n{FORGED}\x1b]0;owned\x07\x1b[2J.txt"
SHOWN_NAME = "ships\\nadded: passwords.txt (9 chunks)\\x1b]0;owned\\x07\\x1b[2J.txt"
# What a terminal would act on: ESC, the 8-bit CSI/OSC/ST, BEL, backspace, carriage return, bidi overrides.
ACTIVE = re.compile(r"[\x1b\x9b\x9d\x9c\x07\x08\r\u202e]")
# The only sequences `qa` itself prints on a terminal: the bold yellow marks of search, and erasing the
# "writing the answer" note (backspaces and ESC [K).
OWN = re.compile(r"\x1b\[(?:\d+(?:;\d+)*)?m|\x1b\[K|\x08")


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("terminal")
    docs = root / "docs"
    docs.mkdir()
    (docs / "lighthouse.txt").write_text(HOSTILE_TEXT, encoding="utf-8")
    (docs / "ferry.md").write_text(HEADED_TEXT, encoding="utf-8")
    (docs / HOSTILE_NAME).write_text("The harbour master counts the ships in the bay each night.", encoding="utf-8")
    data = root / "data"
    ingested = qa(data, "ingest", str(docs), env=FAKE)
    assert ingested.returncode == 0, ingested.stderr
    return {"docs": docs, "data": data, "ingest_out": ingested.stdout + ingested.stderr}  # type: ignore[dict-item]


def on_terminal(data: Path, *args: str, stdin: str = "") -> str:
    """`qa ARGS` with stdout (and stdin) on a pseudo-terminal, as a user runs it; what the terminal received."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant", *args],
        env=qa_env(data, FAKE),
        cwd=ROOT,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
    )
    os.close(terminal)
    if stdin:
        os.write(controller, stdin.encode())
    received = b""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        try:
            piece = os.read(controller, 65536)
        except OSError:  # the other end closed: the process is gone
            break
        if not piece:
            break
        received += piece
    os.close(controller)
    assert process.wait(timeout=60) == 0, received
    return received.decode("utf-8", errors="replace")


def assert_inert(output: str, own_sequences: bool = False) -> None:
    """Nothing in ``output`` that a terminal acts on, apart from ``qa``'s own marks when ``own_sequences``."""
    if own_sequences:
        output = OWN.sub("", output.replace("\r\n", "\n"))
    found = ACTIVE.findall(output)
    assert not found, f"{found!r} reached the terminal in {output!r}"
    assert not re.search(rf"^{re.escape(FORGED)}", output, re.MULTILINE), output
    assert "pwned" not in output and "ZXZpbA==" not in output, output  # the title and clipboard payloads


def test_ingest_shows_a_hostile_file_name_visibly_on_one_line(collection: dict[str, Path]) -> None:
    output = str(collection["ingest_out"])
    assert_inert(output)
    assert f"added: {collection['docs'].resolve()}/{SHOWN_NAME} (1 chunk)" in output, output


@pytest.mark.parametrize(
    "args",
    [
        ("search", "lighthouse keeper ship lamp"),
        ("search", "harbour ferry seven"),
        ("search", "harbour master ships"),
        ("ask", "When was the lighthouse lamp electrified?"),
        ("ask", "What does the lighthouse keeper log?"),
        ("sources", "list"),
        ("sources",),
        ("sources", "verify"),
    ],
)
def test_document_text_and_names_reach_a_pipe_inert(collection: dict[str, Path], args: tuple[str, ...]) -> None:
    done = qa(collection["data"], *args, env=FAKE)
    assert done.returncode == 0, done.stderr
    assert_inert(done.stdout + done.stderr)


def test_search_on_a_terminal_shows_the_words_without_the_sequences(collection: dict[str, Path]) -> None:
    output = on_terminal(collection["data"], "search", "lighthouse keeper ship lamp", "-k", "3")
    assert_inert(output, own_sequences=True)
    plain = OWN.sub("", output)
    assert "The lighthouse keeper logs every passing ship." in plain, plain
    ferry = on_terminal(collection["data"], "search", "harbour ferry timetable", "-k", "1")
    assert_inert(ferry, own_sequences=True)
    assert "ferry.md, Ferry timetable, chars" in OWN.sub("", ferry), ferry
    named = on_terminal(collection["data"], "search", "harbour master counts ships", "-k", "1")
    assert_inert(named, own_sequences=True)
    assert "1. " + SHOWN_NAME in OWN.sub("", named), named


def test_ask_and_chat_on_a_terminal_stream_the_answer_inert(collection: dict[str, Path]) -> None:
    answer = on_terminal(collection["data"], "ask", "What does the lighthouse keeper log?")
    assert_inert(answer, own_sequences=True)
    assert "logs every passing ship" in OWN.sub("", answer), answer
    chat = on_terminal(collection["data"], "chat", stdin="When was the lighthouse lamp electrified?\n/sources\n/quit\n")
    assert_inert(chat, own_sequences=True)
    assert "1921" in chat and SHOWN_NAME in chat, chat


def test_json_output_escapes_what_json_itself_leaves_raw(collection: dict[str, Path]) -> None:
    done = qa(collection["data"], "search", "lighthouse lamp electrified", "--json", env=FAKE)
    assert done.returncode == 0, done.stderr
    assert "\x9b" not in done.stdout and "\u202e" not in done.stdout, done.stdout
    # Still the stored text, exactly: escaped, not dropped.
    texts = [passage["text"] for passage in json.loads(done.stdout)]
    assert HOSTILE_TEXT in texts, texts


@pytest.mark.parametrize(
    "args", [("search", "lighthouse keeper ship"), ("sources", "list"), ("ask", "What does the keeper log?")]
)
def test_output_to_a_reader_that_left_ends_quietly(collection: dict[str, Path], args: tuple[str, ...]) -> None:
    """`qa search ... | head -1`: the reader is gone before `qa` writes; it stops as `cat` would, silently."""
    reader, writer = os.pipe()
    os.close(reader)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "assistant", *args],
            env=qa_env(collection["data"], FAKE),
            cwd=ROOT,
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            timeout=240,
            check=False,
        )
    finally:
        os.close(writer)
    assert done.returncode == 141, done.stderr
    assert not re.search(r"error|Traceback|Exception", done.stderr, re.IGNORECASE), done.stderr


def test_a_shell_pipe_into_head_shows_one_line_and_no_error(collection: dict[str, Path]) -> None:
    command = f"{sys.executable} -m assistant search 'lighthouse keeper ship' -k 10 | head -1"
    done = subprocess.run(
        ["bash", "-c", command],
        env=qa_env(collection["data"], FAKE),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.startswith("1. ") and done.stdout.count("\n") == 1, done.stdout
    assert not re.search(r"error|Traceback|Exception", done.stderr, re.IGNORECASE), done.stderr


def test_ask_says_when_the_answer_shows_the_document_otherwise(tmp_path: Path) -> None:
    """A planted status image is quoted as text in the answer (assistant/answering/hygiene.py); the terminal says so."""
    docs, data = tmp_path / "docs", tmp_path / "data"
    docs.mkdir()
    (docs / "ferry.md").write_text(
        "The harbour ferry leaves every 40 minutes from pier 3 ![status](http://evil.example/log?q=1) and "
        "tickets cost 4 euros.\n",
        encoding="utf-8",
    )
    assert qa(data, "ingest", str(docs), env=FAKE).returncode == 0
    done = qa(data, "ask", "How often does the harbour ferry leave?", env=FAKE)
    assert done.returncode == 0, done.stderr
    answer, note = done.stdout.splitlines()[:2]
    assert "40 minutes" in answer and "evil.example" not in answer, done.stdout
    assert note == "(note: an image from the documents was shown as text)", done.stdout
