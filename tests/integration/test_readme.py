"""Every command the README shows in a ```bash block, and every ```python block, works as written: they are run
in order, as a new user would type them after `make install` and `source .venv/bin/activate`, in a temp folder
that holds only the project's `eval/` (the sample documents) and nothing of the developer's data. ```shell blocks
(installs, servers) are not run; tests/unit/test_docs.py checks their make targets and qa commands, and
tests/integration/test_readme_examples.py runs the examples of docs/."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.docs import README, ROOT, blocks


def readme_steps() -> list[tuple[str, list[str]]]:
    """The README's steps in order, each (what the README shows, the command that runs it): a bash block is one
    step per command (comments dropped, backslash continuations joined), a python block is one step."""
    steps = []
    for block in blocks(README):
        if block.language == "bash":
            lines = block.code.replace("\\\n", " ").splitlines()
            commands = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
            steps += [(command, ["bash", "-c", command]) for command in commands]
        elif block.language == "python":
            steps.append((block.code, ["python", "-c", block.code]))
    return steps


def user_shell(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A folder to run in (with the project's eval/ in it) and the environment of an activated install:
    `qa` and `python` on the PATH, a home of its own (so the per-user data folder is fresh), no QA_* variable."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "eval").symlink_to(ROOT / "eval")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, command in (
        ("python", f'exec {sys.executable} "$@"'),
        ("qa", f'exec {sys.executable} -m assistant "$@"'),
    ):
        script = bin_dir / name
        script.write_text(f"#!/bin/sh\n{command}\n", encoding="utf-8")
        script.chmod(0o755)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("QA_", "XDG_"))}
    env.update(
        {
            "PATH": f"{bin_dir}:{env.get('PATH', '/usr/bin:/bin')}",
            "PYTHONPATH": str(ROOT),
            "HOME": str(tmp_path / "home"),
            "XDG_DATA_HOME": str(tmp_path / "home" / ".local" / "share"),
            "HF_HUB_OFFLINE": "1",
            "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        }
    )
    (tmp_path / "home").mkdir()
    return work, env


def run_readme(tmp_path: Path, answerer: str | None) -> dict[str, subprocess.CompletedProcess[str]]:
    work, env = user_shell(tmp_path)
    if answerer:
        env["QA_ANSWERER"] = answerer
    results = {}
    for shown, command in readme_steps():
        done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=600, check=False)
        assert done.returncode == 0, f"README step failed: {shown}\nstdout: {done.stdout}\nstderr: {done.stderr}"
        assert "Traceback" not in done.stderr and "warning:" not in done.stderr, f"{shown}\n{done.stderr}"
        results[shown] = done
    return results


def output_of(results: dict[str, subprocess.CompletedProcess[str]], start: str) -> str:
    return next(done.stdout for shown, done in results.items() if shown.startswith(start))


def test_the_readme_shows_runnable_commands_and_no_developer_data() -> None:
    shown = [step for step, _ in readme_steps()]
    assert any(step.startswith("qa ingest eval/corpus") for step in shown)
    assert any(step.startswith("qa ingest my-notes") for step in shown)
    assert any("history=" in step for step in shown)  # a follow-up question from Python
    assert "../shared" not in README.read_text(encoding="utf-8")


def test_every_readme_command_works_as_written(tmp_path: Path) -> None:
    results = run_readme(tmp_path, "extractive")
    assert "neutral" in output_of(results, 'qa ask "What does Russia demand?"')
    assert output_of(results, 'qa ask "What does the ferry').startswith("I don't know based on the documents")
    assert "6 pm" in output_of(results, 'qa ask "When does the office close')
    listing = results["qa sources list"].stdout  # after meetings.md was deleted
    assert "office.txt" in listing and "meetings.md" not in listing and "1 source in collection 'docs'" in listing
    follow_up = next(done.stdout for shown, done in results.items() if "history=" in shown)
    assert "NATO" in follow_up and "[1]" in follow_up


@pytest.mark.llm
def test_every_readme_command_works_with_the_local_model(tmp_path: Path) -> None:
    results = run_readme(tmp_path, None)
    assert "neutral" in output_of(results, 'qa ask "What does Russia demand?"').lower()
    assert "6 pm" in output_of(results, 'qa ask "When does the office close')
