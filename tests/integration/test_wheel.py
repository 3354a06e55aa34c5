"""The package as `pip install .` / `pipx install .` gives it: a wheel built from the repo, installed into a
fresh venv that sees the project's dependencies but not its source, then `qa` used from a folder outside the
repo. Catches anything the product reads from the source tree that the wheel does not carry."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What a checkout holds besides the package's files; copying the rest keeps the build's own output
# (build/, *.egg-info) out of the repo.
NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "tests",
    "__pycache__",
    ".pytest_cache",
    ".eval-out",
    ".qa-data",
    "build",
    "dist",
    "*.egg-info",
    "node_modules",
)


class Installed:
    """The wheel installed in its own venv, and a shell in a temporary folder far from the repo."""

    def __init__(self, wheel: Path, venv: Path, work: Path) -> None:
        self.wheel = wheel
        self.venv = venv
        self.work = work
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("QA_", "XDG_", "PYTHON", "VIRTUAL_ENV"))
        }
        self.env.update(
            {
                "QA_DATA_DIR": str(work / "data"),
                "QA_ANSWERER": "extractive",
                "HF_HUB_OFFLINE": "1",
                "HF_HUB_DISABLE_PROGRESS_BARS": "1",
                "PYTHONUNBUFFERED": "1",
                "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            }
        )

    def run(
        self, program: str, *args: str, env: dict[str, str] | None = None, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(self.venv / "bin" / program), *args],
            cwd=self.work,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, f"{program} {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done

    def python(self, code: str) -> str:
        return self.run("python", "-c", code).stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("wheel")
    source, wheels, venv, work = base / "source", base / "wheels", base / "venv", base / "work"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    offline = {**os.environ, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    pip = [sys.executable, "-m", "pip"]
    # The venv's setuptools builds it (no download of a build environment).
    subprocess.run(
        [*pip, "wheel", str(source), "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels)],
        check=True,
        env=offline,
        cwd=base,
        timeout=300,
    )
    (wheel,) = wheels.glob("cited_qa-*.whl")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    target = venv / "bin" / "python"
    # Installed before the dependencies are in sight, so pip never sees (nor touches) the project's own install.
    subprocess.run(
        [*pip, "--python", str(target), "install", "--no-deps", "-q", str(wheel)],
        check=True,
        env=offline,
        cwd=base,
        timeout=300,
    )
    # The dependencies come from the project's venv: a plain path entry, so its .pth files (the editable
    # install's finder pointing at the repo) are not run.
    purelib = subprocess.run(
        [str(target), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(purelib, "project-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    work.mkdir()
    return Installed(wheel, venv, work)


def test_the_wheel_carries_prompts_sample_corpus_gold_sets_and_app_pages(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    expected = {f"prompts/{path.name}" for path in (ROOT / "prompts").glob("*.txt")}
    expected |= {f"eval/corpus/{path.name}" for path in (ROOT / "eval" / "corpus").iterdir()}
    expected |= {f"eval/gold/{path.name}" for path in (ROOT / "eval" / "gold").glob("*.jsonl")}
    expected |= {f"ui/pages/{path.name}" for path in (ROOT / "ui" / "pages").glob("*.py")}
    expected |= {"ui/Chat.py", "ui/.streamlit/config.toml", "prompts/__init__.py"}
    assert expected - names == set()


def test_installed_code_runs_from_the_venv_not_the_repo(installed: Installed) -> None:
    where = installed.python(
        "import assistant, ingest, eval, ui, prompts\n"
        "for module in (assistant, ingest, eval, ui, prompts): print(module.__file__)"
    ).split()
    assert len(where) == 5
    for path in where:
        assert Path(path).is_relative_to(installed.venv), path
        assert not Path(path).is_relative_to(ROOT), path


def test_installed_prompts_load_and_render(installed: Installed) -> None:
    out = installed.python(
        "from assistant.answering.prompts import PROMPTS_DIR, load_prompt\n"
        "print(PROMPTS_DIR)\n"
        "for name in ('answer', 'condense', 'judge_correctness', 'judge_faithfulness'): load_prompt(name)\n"
        "messages = load_prompt('answer').render(refusal='NOT FOUND', passages='[1] The ferry leaves at noon.',"
        " question='When does the ferry leave?')\n"
        "print(messages[1]['content'])"
    )
    directory, rendered = out.split("\n", 1)
    assert Path(directory).is_relative_to(installed.venv)
    assert "[1] The ferry leaves at noon." in rendered and "When does the ferry leave?" in rendered


def ferry_notes(installed: Installed, collection: str) -> None:
    """A folder of one note, outside the repo, ingested by the installed `qa` into its own collection."""
    notes = installed.work / collection
    notes.mkdir()
    (notes / "ferry.md").write_text(
        "# Island ferry\n\nThe island ferry departs every 40 minutes from pier 3. Tickets cost 4 euros at the kiosk "
        "beside the harbour office.\n",
        encoding="utf-8",
    )
    ingested = installed.run("qa", "ingest", collection, "--collection", collection)
    assert "1 added" in ingested.stdout


def test_installed_qa_ingests_a_folder_and_answers_with_a_citation(installed: Installed) -> None:
    ferry_notes(installed, "notes")
    answer = installed.run("qa", "ask", "How often does the island ferry depart?", "--collection", "notes").stdout
    assert "every 40 minutes" in answer
    assert "[1] ferry.md, Island ferry" in answer


@pytest.mark.llm
def test_installed_qa_answers_with_the_local_model_and_its_packaged_prompt(installed: Installed) -> None:
    ferry_notes(installed, "local-notes")
    answer = installed.run(
        "qa",
        "ask",
        "How often does the island ferry depart?",
        "--collection",
        "local-notes",
        env={"QA_ANSWERER": "local"},
    ).stdout
    assert "40 minutes" in answer
    assert "[1] ferry.md" in answer


def test_installed_qa_has_the_evaluation_commands(installed: Installed) -> None:
    # The `qa` entry point adds eval's commands to the orchestration's; the wheel must carry both.
    listed = installed.run("qa", "--help").stdout
    assert "eval " in listed and "bench " in listed
    assert "--gold" in installed.run("qa", "eval", "--help").stdout
    assert "Usage: qa bench" in installed.run("qa", "bench", "--help").stdout


def test_installed_sample_corpus_is_found_and_answers(installed: Installed) -> None:
    out = installed.python(
        "from eval.samples import SAMPLE_CORPUS, SAMPLE_GOLD\nprint(SAMPLE_CORPUS); print(SAMPLE_GOLD)"
    )
    corpus, gold = (Path(line) for line in out.split())
    assert corpus.is_relative_to(installed.venv) and gold.is_file()
    assert sorted(p.name for p in corpus.iterdir()) == sorted(p.name for p in (ROOT / "eval" / "corpus").iterdir())
    installed.run("qa", "ingest", str(corpus), "--collection", "sample")
    answer = installed.run("qa", "ask", "What does Russia demand?", "--collection", "sample").stdout
    assert "[1] russia_demands_brief.md" in answer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_installed_qa_ui_serves_the_packaged_app(installed: Installed) -> None:
    port = free_port()
    app = subprocess.Popen(
        [str(installed.venv / "bin" / "qa"), "ui", "--port", str(port)],
        cwd=installed.work,
        env=installed.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as reply:
                    assert reply.read() == b"ok"
                    break
            except OSError:
                assert app.poll() is None, app.communicate()[0]
                time.sleep(0.5)
        else:
            pytest.fail("qa ui never answered")
    finally:
        app.terminate()
        app.wait(timeout=30)
