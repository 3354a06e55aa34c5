"""Shared fixtures: settings in a temp dir, the real embedding model (loaded once), corpus paths, a PostgreSQL
database."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from assistant import Assistant, Settings, build_assistant
from assistant.models.embedder import Embedder, FakeEmbedder, SentenceTransformerEmbedder
from tests.fixtures.servers import postgres_server

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CORPUS = ROOT / "eval" / "corpus"
SEED_CORPUS = ROOT.parent / "shared" / "seed-corpus"
SEED_ARTICLE = SEED_CORPUS / "ukraine_nato_news.txt"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's QA_* variables or qa.toml."""
    for name in list(os.environ):
        if name.startswith("QA_"):
            monkeypatch.delenv(name)
    empty = tmp_path / "empty-qa.toml"
    empty.write_text("", encoding="utf-8")
    monkeypatch.setenv("QA_CONFIG", str(empty))


@pytest.fixture(scope="session")
def real_embedder() -> Embedder:
    """The packaged all-MiniLM-L6-v2 model, loaded once per test run."""
    return SentenceTransformerEmbedder()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with all data in a fresh temp dir."""
    return Settings(data_dir=tmp_path / "data", collection="test-docs", answerer="extractive")


@pytest.fixture
def make_assistant(tmp_path: Path, request: pytest.FixtureRequest) -> Callable[..., Assistant]:
    """Build assistants on real Chroma in a temp dir, with the real embedding model unless another is given
    (the model is loaded only then, so a test that passes FakeEmbedder never waits for it)."""

    def build(embedder: Embedder | None = None, **overrides: Any) -> Assistant:
        values: dict[str, Any] = {"data_dir": tmp_path / "data", "collection": "test-docs", "answerer": "extractive"}
        values.update(overrides)
        return build_assistant(Settings(**values), embedder=embedder or request.getfixturevalue("real_embedder"))

    return build


@pytest.fixture
def fake_assistant(make_assistant: Callable[..., Assistant]) -> Assistant:
    """An assistant with the fast hash-seeded embedder, for tests about plumbing, not relevance."""
    return make_assistant(embedder=FakeEmbedder())


@pytest.fixture
def seed_corpus() -> Path:
    """The project's seed article; read in place from ../shared, never copied into the project."""
    if not SEED_ARTICLE.is_file():
        pytest.skip(f"seed corpus not found at {SEED_CORPUS} (it lives in ../shared beside the project)")
    return SEED_CORPUS


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[str]:
    """One temporary PostgreSQL cluster for the whole run, started only when a test asks for ``postgres_url``;
    yields the URL of its ``qa`` database. Its folder comes from mkdtemp, not pytest's tmp dirs, which the
    ``postgres`` user that runs the server as root could not enter."""
    folder = Path(tempfile.mkdtemp(prefix="qa-postgres-"))
    try:
        with postgres_server(folder) as url:
            yield url
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_cluster: str) -> Iterator[str]:
    """The URL of a fresh, empty database of its own for this test, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(postgres_cluster, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield postgres_cluster.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(postgres_cluster, autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
