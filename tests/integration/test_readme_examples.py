"""Every example of the README's "Use it from your tools" runs as written: `qa ingest` and `qa serve` on the
sample corpus, then the curl commands, the `openai` client, the LangChain snippet and the Python API.

The examples run with the extractive answerer (fast); the test marked `llm` runs the `openai` client
example against `qa serve` with the packaged local model, as a user who follows the README would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.servers import free_port, running_server

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## Use it from your tools"
README_PORT = "8000"


def examples() -> list[tuple[str, str]]:
    """(language, code) of each fenced block in the README section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index(SECTION) :]
    section = section[: section.find("\n## ", len(SECTION))]
    return re.findall(r"```(bash|python)\n(.*?)```", section, flags=re.DOTALL)


def environment(data: Path, answerer: str) -> dict[str, str]:
    """What a user's shell has: `qa` on the PATH (this tree's code), one data folder, no stray settings."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("QA_")}
    config = data.parent / "readme-qa.toml"
    data.parent.mkdir(parents=True, exist_ok=True)
    config.touch()
    env.update(
        {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            "PYTHONPATH": str(ROOT),
            "QA_DATA_DIR": str(data),
            "QA_CONFIG": str(config),
            "QA_ANSWERER": answerer,
            "HF_HUB_OFFLINE": "1",
        }
    )
    return env


def on_port(code: str, port: int) -> str:
    return code.replace(f"127.0.0.1:{README_PORT}", f"127.0.0.1:{port}").replace(
        f"--port {README_PORT}", f"--port {port}"
    )


def run(language: str, code: str, env: dict[str, str]) -> str:
    command = ["bash", "-euo", "pipefail", "-c", code] if language == "bash" else [sys.executable, "-c", code]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, f"{code}\n---\n{done.stdout}\n{done.stderr}"
    return done.stdout


def serving(data: Path, answerer: str) -> Iterator[tuple[int, dict[str, str]]]:
    """The README's first block: its `qa ingest` lines are run, its `qa serve` line is started."""
    env = environment(data, answerer)
    port = free_port()
    language, start = examples()[0]
    lines = on_port(start, port).strip().splitlines()
    assert language == "bash" and lines[-1].startswith("qa serve "), start
    for line in lines[:-1]:
        run("bash", line, env)
    command = [sys.executable, "-m", "assistant", *lines[-1].split()[1:]]
    with running_server(command, f"http://127.0.0.1:{port}", "/healthz", env=env):
        yield port, env


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, dict[str, str]]]:
    yield from serving(tmp_path_factory.mktemp("readme") / "data", "extractive")


def test_the_readme_section_has_every_kind_of_example() -> None:
    kinds = [code for _, code in examples()]
    assert len(kinds) == 5
    assert (
        "curl" in kinds[1]
        and "OpenAI(base_url=" in kinds[2]
        and "langchain_core" in kinds[3]
        and "Assistant" in kinds[4]
    )


def test_the_curl_examples(server: tuple[int, dict[str, str]]) -> None:
    port, env = server
    output = run("bash", on_port(examples()[1][1], port), env)
    assert '"id":"sample"' in output
    assert "[1]" in output and '"refused":false' in output
    assert '"summary":"1 added"' in output
    assert "five hours" in output


def test_the_openai_client_example(server: tuple[int, dict[str, str]]) -> None:
    port, env = server
    output = run("python", on_port(examples()[2][1], port), env)
    assert "'sample'" in output.splitlines()[0]
    assert "[1]" in output and "russia_demands_brief.md" in output
    assert "refused: False" in output


def test_the_langchain_example(server: tuple[int, dict[str, str]]) -> None:
    _port, env = server
    output = run("python", examples()[3][1], env)
    lines = output.strip().splitlines()
    assert len(lines) == 3  # two documents (k=2 wins over the retriever's k=3), then the cited sources
    assert "russia_demands_brief.md" in lines[-1]


def test_the_python_api_example(server: tuple[int, dict[str, str]]) -> None:
    _port, env = server
    output = run("python", examples()[4][1], env)
    assert "[1]" in output and "russia_demands_brief.md" in output


@pytest.mark.llm
def test_the_openai_client_gets_a_cited_answer_from_the_local_model(tmp_path: Path) -> None:
    for port, env in serving(tmp_path / "data", "local"):
        output = run("python", on_port(examples()[2][1], port), env)
        assert "'sample'" in output.splitlines()[0]
        assert "refused: False" in output and re.search(r"\[1\] \S+ characters \d+-\d+", output), output
