"""Every example of docs/ runs as written. docs/http-api.md's first block is run (`qa ingest` on the sample corpus)
and started (`qa serve`); then every bash and python block of docs/http-api.md and docs/python-api.md runs against
that data folder and server: the curl commands, the `openai` client, the Python API with its follow-up question,
streaming, ingest and LangChain. The python blocks of the other pages of docs/ (the composition root of
architecture.md) run on their own, in a fresh data folder.

The examples run with the extractive answerer (fast); the test marked `llm` runs the `openai` client example
against `qa serve` with the packaged local model, as a user who follows the page would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.fixtures.docs import DOCS, ROOT, Block, blocks
from tests.fixtures.servers import free_port, running_server

HTTP_PAGE = DOCS / "http-api.md"
PYTHON_PAGE = DOCS / "python-api.md"
DOCS_PORT = "8000"


def examples(page: Path) -> list[Block]:
    """The runnable blocks of a page, in order."""
    return [block for block in blocks(page) if block.language in ("bash", "python")]


def served_examples() -> list[Block]:
    """What runs against the server: every example of the two API pages but the one that starts it."""
    return examples(HTTP_PAGE)[1:] + examples(PYTHON_PAGE)


def other_examples() -> list[Block]:
    return [
        block for page in sorted(DOCS.glob("*.md")) if page not in (HTTP_PAGE, PYTHON_PAGE) for block in examples(page)
    ]


def example(marker: str) -> Block:
    """The one served example that holds ``marker``."""
    found = [block for block in served_examples() if marker in block.code]
    assert len(found) == 1, f"{len(found)} examples hold {marker!r}"
    return found[0]


def environment(data: Path, answerer: str) -> dict[str, str]:
    """What a user's shell has: `qa` on the PATH (this tree's code), one data folder, no stray settings; the
    per-user data folder (for `Settings(...)` built in code, which reads no variable) is a temp one too."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("QA_")}
    config = data.parent / "docs-qa.toml"
    data.parent.mkdir(parents=True, exist_ok=True)
    config.touch()
    env.update(
        {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            "PYTHONPATH": str(ROOT),
            "QA_DATA_DIR": str(data),
            "QA_CONFIG": str(config),
            "QA_ANSWERER": answerer,
            "XDG_DATA_HOME": str(data.parent / "user-data"),
            "HF_HUB_OFFLINE": "1",
        }
    )
    return env


def on_port(code: str, port: int) -> str:
    return code.replace(f"127.0.0.1:{DOCS_PORT}", f"127.0.0.1:{port}").replace(f"--port {DOCS_PORT}", f"--port {port}")


def run(block: Block, env: dict[str, str], port: int | None = None) -> str:
    code = on_port(block.code, port) if port else block.code
    command = ["bash", "-euo", "pipefail", "-c", code] if block.language == "bash" else [sys.executable, "-c", code]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, f"{block}\n{code}\n---\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr, f"{block}\n{done.stderr}"
    return done.stdout


def serving(data: Path, answerer: str) -> Iterator[tuple[int, dict[str, str]]]:
    """docs/http-api.md's first block: its `qa ingest` lines are run, its `qa serve` line is started."""
    env = environment(data, answerer)
    port = free_port()
    start = examples(HTTP_PAGE)[0]
    lines = on_port(start.code, port).strip().splitlines()
    assert start.language == "bash" and lines[-1].startswith("qa serve "), start
    for line in lines[:-1]:
        run(Block(start.path, "bash", line), env)
    command = [sys.executable, "-m", "assistant", *lines[-1].split()[1:]]
    with running_server(command, f"http://127.0.0.1:{port}", "/healthz", env=env):
        yield port, env


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, dict[str, str]]]:
    yield from serving(tmp_path_factory.mktemp("docs") / "data", "extractive")


def curl(output: str) -> None:
    assert '"id":"sample"' in output
    assert "[1]" in output and '"refused":false' in output
    assert '"summary":"1 added"' in output
    assert "five hours" in output


def openai_client(output: str) -> None:
    assert "'sample'" in output.splitlines()[0]
    assert "[1]" in output and "russia_demands_brief.md" in output
    assert "refused: False" in output


def ask_and_search(output: str) -> None:
    assert "[1]" in output and "russia_demands_brief.md" in output


def follow_up(output: str) -> None:
    standalone, answer = output.strip().splitlines()[:2]
    assert "it want from NATO" in standalone and "Russia" in standalone  # the question read with the one before
    assert "NATO" in answer and "[1]" in answer


def streaming(output: str) -> None:
    assert "five hours" in output.splitlines()[0]
    assert "refused: False" in output and "sourdough_guide.txt" in output


def ingest(output: str) -> None:
    summary, listing = output.strip().splitlines()[:2]
    assert summary in ("1 added", "1 unchanged") and listing.endswith("sourdough_guide.txt 2")


def langchain(output: str) -> None:
    lines = output.strip().splitlines()
    assert len(lines) == 3  # two documents (k=2 wins over the retriever's k=3), then the cited sources
    assert "russia_demands_brief.md" in lines[-1]


# What a reader of each example sees, found by a word of its code; every served example has one.
EXPECTED: dict[str, Callable[[str], None]] = {
    "curl -s": curl,
    "OpenAI(base_url=": openai_client,
    "assistant.search(": ask_and_search,
    "history=history": follow_up,
    "assistant.stream(": streaming,
    ".ingest(": ingest,
    "langchain_core": langchain,
}


def test_the_api_pages_have_every_kind_of_example() -> None:
    for marker in EXPECTED:
        example(marker)
    for block in served_examples():
        assert any(marker in block.code for marker in EXPECTED), f"{block}: say in EXPECTED what it shows"


def block_ids(found: list[Block]) -> list[str]:
    return [f"{block.path.stem}-{index}-{block.language}" for index, block in enumerate(found)]


@pytest.mark.parametrize("block", served_examples(), ids=block_ids(served_examples()))
def test_each_api_example(server: tuple[int, dict[str, str]], block: Block) -> None:
    port, env = server
    output = run(block, env, port)
    for marker, check in EXPECTED.items():
        if marker in block.code:
            check(output)


@pytest.mark.parametrize("block", other_examples(), ids=block_ids(other_examples()))
def test_the_examples_of_the_other_pages(tmp_path: Path, block: Block) -> None:
    output = run(block, environment(tmp_path / "data", "extractive"))
    if "settings.retrieval.k" in block.code:  # configuration.md: flat names in, groups out
        assert output.splitlines() == ["3 http://127.0.0.1:8080/v1 handbook", "http://127.0.0.1:8080/v1", "4"]
    if "Registry(" in block.code:  # architecture.md: two collections, one embedding model
        assert output.split() == ["docs", "notes", "True"]


@pytest.mark.llm
def test_the_openai_client_gets_a_cited_answer_from_the_local_model(tmp_path: Path) -> None:
    for port, env in serving(tmp_path / "data", "local"):
        output = run(example("OpenAI(base_url="), env, port)
        assert "'sample'" in output.splitlines()[0]
        assert "refused: False" in output and re.search(r"\[1\] \S+ characters \d+-\d+", output), output
