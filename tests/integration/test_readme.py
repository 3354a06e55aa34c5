"""Every command the README shows in a ```bash block works as written: the blocks are run in order, as a new
user would type them after `make install` and `source .venv/bin/activate`, in a temp folder that holds only
the project's `eval/` (the sample documents) and nothing of the developer's data. ```shell blocks (installs,
servers) are not run, nor is "Use it from your tools", whose examples need a running `qa serve`
(tests/integration/test_readme_examples.py starts one and runs them)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
BLOCK = re.compile(r"^```bash\n(.*?)^```", re.DOTALL | re.MULTILINE)
SERVED = re.compile(r"^## Use it from your tools\n.*?(?=^## )", re.DOTALL | re.MULTILINE)


def readme_commands() -> list[str]:
    """The README's bash commands in order: comments dropped, backslash continuations joined."""
    commands = []
    for block in BLOCK.findall(SERVED.sub("", README.read_text(encoding="utf-8"))):
        lines = block.replace("\\\n", " ").splitlines()
        commands += [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    return commands


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
    for command in readme_commands():
        done = subprocess.run(
            ["bash", "-c", command], cwd=work, env=env, capture_output=True, text=True, timeout=600, check=False
        )
        assert done.returncode == 0, f"README command failed: {command}\nstdout: {done.stdout}\nstderr: {done.stderr}"
        assert "Traceback" not in done.stderr and "warning:" not in done.stderr, f"{command}\n{done.stderr}"
        results[command] = done
    return results


def output_of(results: dict[str, subprocess.CompletedProcess[str]], start: str) -> str:
    return next(done.stdout for command, done in results.items() if command.startswith(start))


def test_the_readme_shows_runnable_commands_and_no_developer_data() -> None:
    commands = readme_commands()
    assert any(command.startswith("qa ingest eval/corpus") for command in commands)
    assert any(command.startswith("qa ingest my-notes") for command in commands)
    text = README.read_text(encoding="utf-8")
    before_developer_sections = text.split("\n## Evaluation\n")[0]
    assert "../shared" not in before_developer_sections


def test_every_readme_command_works_as_written(tmp_path: Path) -> None:
    results = run_readme(tmp_path, "extractive")
    assert "neutral" in output_of(results, 'qa ask "What does Russia demand?"')
    assert output_of(results, 'qa ask "What does the ferry').startswith("I don't know based on the documents")
    assert "6 pm" in output_of(results, 'qa ask "When does the office close')
    listing = list(results.values())[-2].stdout  # `qa sources list` after meetings.md was deleted
    assert "office.txt" in listing and "meetings.md" not in listing and "1 source in collection 'docs'" in listing


@pytest.mark.llm
def test_every_readme_command_works_with_the_local_model(tmp_path: Path) -> None:
    results = run_readme(tmp_path, None)
    assert "neutral" in output_of(results, 'qa ask "What does Russia demand?"').lower()
    assert "6 pm" in output_of(results, 'qa ask "When does the office close')
