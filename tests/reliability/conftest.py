"""Helpers for the reliability tests: run `qa` in a subprocess of this tree and read a data folder's state."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant import Assistant, Settings, build_assistant
from assistant.models.embedder import FakeEmbedder

ROOT = Path(__file__).resolve().parents[2]


def qa(
    data: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 300, **popen: Any
) -> subprocess.CompletedProcess[str]:
    """Run `qa ARGS` (this tree's code) on the data folder ``data`` and wait for it."""
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        env=qa_env(data, env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **popen,
    )


def qa_env(data: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a `qa` subprocess: this tree first on the path, offline, one data folder."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("QA_")}
    config = data.parent / "qa-empty.toml"  # no developer's qa.toml or QA_* variable leaks in
    data.parent.mkdir(parents=True, exist_ok=True)
    config.touch()
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "QA_DATA_DIR": str(data),
            "QA_COLLECTION": "docs",
            "QA_ANSWERER": "extractive",
            "HF_HUB_OFFLINE": "1",
            "HF_HUB_DISABLE_PROGRESS_BARS": "1",
            "PYTHONUNBUFFERED": "1",
            "QA_CONFIG": str(config),
        }
    )
    env.update(extra or {})
    return env


def state(data: Path) -> dict[str, Any]:
    """Everything an ingest leaves in a data folder that search depends on: the catalog's records and chunks,
    the keyword rows, the vector ids and pending deletions. Read in a fresh process: an embedded Chroma
    client caches the index it opened and would not see another process's writes."""
    found = subprocess.run(
        [sys.executable, "-m", "tests.reliability.conftest", str(data)],
        env=qa_env(data),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert found.returncode == 0, found.stderr
    result = json.loads(found.stdout)
    result["sources"] = [tuple(row) for row in result["sources"]]
    result["keyword_gaps"] = tuple(result["keyword_gaps"])
    return dict(result)


def _read_state(data: Path) -> dict[str, Any]:
    from assistant import Settings, build_assistant
    from assistant.models.embedder import FakeEmbedder

    assistant = build_assistant(
        Settings(data_dir=data, collection="docs", answerer="extractive"), embedder=FakeEmbedder()
    )
    try:
        found = assistant.verify()
        catalog = assistant.catalog
        return {
            "sources": sorted((Path(r.source).name, r.sha256, r.chunk_count) for r in assistant.sources()),
            "chunks": sorted(c.chunk_id for c in catalog.records.collection_chunks("docs")),
            "vectors": sorted(assistant.store.all_ids()),
            "keyword_gaps": catalog.keywords.gaps("docs"),
            "pending": catalog.journal.pending("docs"),
            "consistent": found.ok,
        }
    finally:
        assistant.catalog.close()


@pytest.fixture(autouse=True)
def _no_crash_point_inherited(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QA_CRASH_AT", raising=False)


@pytest.fixture
def make_assistant(tmp_path: Path) -> Iterator[Callable[..., Assistant]]:
    """In-process assistants on a fresh data folder with the fake embedder; ``caps`` are settings such as
    max_file_mb."""
    built: list[Assistant] = []

    def make(**caps: int) -> Assistant:
        settings = Settings(data_dir=tmp_path / "data", collection="docs", answerer="extractive", **caps)
        built.append(build_assistant(settings, embedder=FakeEmbedder()))
        return built[-1]

    yield make
    for assistant in built:
        assistant.catalog.close()


if __name__ == "__main__":
    print(json.dumps(_read_state(Path(sys.argv[1]))))
