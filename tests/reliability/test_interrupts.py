"""Ctrl-C (SIGINT) and SIGTERM stop every command with one line and exit 130 or 143: no traceback, no
segmentation fault, no lock or half-written file left behind."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import pytest

from assistant.app.cli.commands import DRAFTING
from tests.reliability.conftest import ROOT, qa, qa_env, state

CODES: dict[int, int] = {signal.SIGINT: 130, signal.SIGTERM: 143}


class Running:
    """A `qa` subprocess whose stdout and stderr are read as they come."""

    def __init__(
        self, data: Path, *args: str, env: dict[str, str] | None = None, stdin: str | None = None, tty: bool = False
    ) -> None:
        """``tty``: stdout is a terminal (a pseudo-terminal), where `qa` streams the answer as it is written."""
        controller, terminal = pty.openpty() if tty else (None, None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "assistant", *args],
            env=qa_env(data, env),
            cwd=ROOT,
            text=True,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=terminal if tty else subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.out: list[str] = []
        self.err: list[str] = []
        stdout: IO[str] | None
        if tty:
            os.close(terminal)  # type: ignore[arg-type]
            stdout = os.fdopen(controller, "r", encoding="utf-8", errors="replace")  # type: ignore[arg-type]
        else:
            stdout = self.process.stdout
        for stream, sink in ((stdout, self.out), (self.process.stderr, self.err)):
            threading.Thread(target=self._drain, args=(stream, sink), daemon=True).start()
        if stdin is not None:
            assert self.process.stdin is not None
            self.process.stdin.write(stdin)
            self.process.stdin.flush()

    @staticmethod
    def _drain(stream: object, sink: list[str]) -> None:
        try:
            while piece := stream.read(1):  # type: ignore[attr-defined]
                sink.append(piece)
        except OSError:  # a pseudo-terminal whose other end closed
            pass

    def wait_for(self, text: str, where: str = "err", timeout: float = 240) -> None:
        sink = self.err if where == "err" else self.out
        deadline = time.monotonic() + timeout
        while text not in "".join(sink):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"never saw {text!r}; stdout {''.join(self.out)!r} stderr {''.join(self.err)!r}")
            time.sleep(0.05)

    def stop(self, signum: int) -> tuple[int, str]:
        self.process.send_signal(signum)
        code = self.process.wait(timeout=60)
        time.sleep(0.2)  # the reader threads take the last bytes
        return code, "".join(self.err)


def assert_clean_exit(code: int, err: str, signum: int) -> None:
    assert code == CODES[signum], err
    assert "Traceback" not in err and "Segmentation fault" not in err and "Aborted" not in err, err
    assert err.rstrip().splitlines()[-1].startswith("qa: "), err


def folder(tmp_path: Path, files: int = 6) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    for number in range(files):
        (docs / f"memo-{number}.txt").write_text(
            f"Memo {number}: the depot on Quay Street receives {number + 3} deliveries a week. "
            "Drivers sign the log at the gate and unload at bay four.",
            encoding="utf-8",
        )
    return docs


@pytest.mark.parametrize(
    ("point", "signum"), [("load", signal.SIGTERM), ("embed", signal.SIGINT), ("upsert", signal.SIGINT)]
)
def test_an_interrupted_ingest_exits_cleanly_and_leaves_no_lock(point: str, signum: int, tmp_path: Path) -> None:
    data, docs = tmp_path / "data", folder(tmp_path)
    running = Running(data, "ingest", str(docs), env={"QA_PAUSE_AT": point})
    running.wait_for(f"paused at {point}")
    assert_clean_exit(*running.stop(signum), signum)
    assert state(data)["consistent"]  # no vector of an unfinished file left behind, nothing pending
    # No lock left (the next writer does not wait at all), and the next ingest finishes the job.
    again = qa(data, "ingest", str(docs), env={"QA_WRITER_TIMEOUT_S": "0"})
    assert again.returncode == 0 and "6 added" in again.stdout, again.stderr
    assert state(data)["consistent"]
    assert not [p for p in data.rglob("*") if p.name.startswith(".") and p.is_file() and "lock" not in p.name]


def test_an_interrupted_search_exits_cleanly(tmp_path: Path) -> None:
    data, docs = tmp_path / "data", folder(tmp_path)
    assert qa(data, "ingest", str(docs)).returncode == 0
    running = Running(data, "ask", "How many deliveries does the depot receive?", env={"QA_PAUSE_AT": "retrieve"})
    running.wait_for("paused at retrieve")
    assert_clean_exit(*running.stop(signal.SIGTERM), signal.SIGTERM)


@pytest.mark.llm
@pytest.mark.parametrize("command", ["ask", "chat"])
def test_ctrl_c_while_the_local_model_writes_stops_it_without_a_crash(command: str, tmp_path: Path) -> None:
    data, docs = tmp_path / "data", folder(tmp_path)
    assert qa(data, "ingest", str(docs)).returncode == 0
    question = "Where do drivers unload at the depot and what do they sign at the gate?"
    env = {"QA_ANSWERER": "local", "QA_LLM_MAX_TOKENS": "400"}
    if command == "ask":
        running = Running(data, "ask", question, env=env, tty=True)
    else:
        running = Running(data, "chat", env=env, stdin=question + "\n", tty=True)
        running.wait_for("assistant> ", where="out")
    running.wait_for(DRAFTING)  # on a terminal `qa` says so while the model writes the draft
    assert_clean_exit(*running.stop(signal.SIGINT), signal.SIGINT)


def test_serve_stops_on_sigterm_and_sigint(tmp_path: Path) -> None:
    import socket

    for signum in (signal.SIGTERM, signal.SIGINT):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        running = Running(tmp_path / "data", "serve", "--port", str(port))
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert running.process.poll() is None and time.monotonic() < deadline, "".join(running.err)
                time.sleep(0.2)
        assert_clean_exit(*running.stop(signum), signum)


def test_an_interrupted_eval_exits_cleanly(tmp_path: Path) -> None:
    out = tmp_path / "out"
    running = Running(
        tmp_path / "data",
        "eval",
        "--corpus",
        str(ROOT / "eval" / "corpus"),
        "--gold",
        str(ROOT / "eval" / "gold" / "sample.jsonl"),
        "--out",
        str(out),
        "--answerer",
        "extractive",
        env={"QA_PAUSE_AT": "retrieve"},
    )
    running.wait_for("paused at retrieve")  # the corpus is ingested; the first question is being answered
    assert_clean_exit(*running.stop(signal.SIGINT), signal.SIGINT)
    assert not (out / "report.json").exists()  # no report of a run that did not finish
