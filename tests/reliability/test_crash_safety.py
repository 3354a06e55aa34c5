"""SIGKILL at every point of an ingest, then a re-run: the data folder converges to exactly what a clean
ingest makes, and nothing half-written is ever visible to search in between."""

from __future__ import annotations

import shutil
import signal
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from assistant.faults import POINTS
from assistant.index.folder import catalog_file
from assistant.index.schema import fts_table
from tests.reliability.conftest import qa, state

VERSION_1 = {
    "ferries.txt": (
        "The harbour ferry leaves at seven. It carries bicycles on the lower deck. Tickets are sold on board."
    ),
    "orchard.md": (
        "# Orchard\n\nThe orchard grows eleven kinds of apple. Picking starts in September and lasts six weeks."
    ),
    "bridge.txt": "The old bridge was built in 1887. Its stone arches were repaired after the flood of 1953.",
}
# The changed corpus: one file edited, one new; the third unchanged.
VERSION_2 = {
    **VERSION_1,
    "ferries.txt": "The harbour ferry now leaves at eight. Bicycles ride free on weekends. Tickets are sold online.",
    "lighthouse.txt": "The lighthouse keeper logs every passing ship. The lamp was electrified in 1921.",
}


def write(folder: Path, files: dict[str, str]) -> None:
    for stale in folder.glob("*"):
        if stale.name not in files:
            stale.unlink()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The state a clean ingest of VERSION_2 (after VERSION_1) leaves; the corpus folder is shared."""
    root = tmp_path_factory.mktemp("clean")
    corpus = root / "corpus"
    corpus.mkdir()
    write(corpus, VERSION_1)
    assert qa(root / "data", "ingest", str(corpus)).returncode == 0
    write(corpus, VERSION_2)
    assert qa(root / "data", "ingest", str(corpus)).returncode == 0
    return {"corpus": corpus, "data": root / "data", "state": state(root / "data")}


@pytest.mark.parametrize("point", POINTS)
def test_a_killed_ingest_converges_to_a_clean_one(point: str, clean: dict[str, object], tmp_path: Path) -> None:
    corpus, data = Path(str(clean["corpus"])), tmp_path / "data"
    # The first version, ingested cleanly from a copy of the same folder (so sources have the same paths).
    shutil.copytree(clean["data"], data)  # type: ignore[arg-type]
    write(corpus, VERSION_1)
    assert qa(data, "ingest", str(corpus)).returncode == 0
    before = state(data)
    write(corpus, VERSION_2)

    killed = qa(data, "ingest", str(corpus), env={"QA_CRASH_AT": point})
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    # In between: every file search can see is whole (its chunks all have their vectors and keyword rows),
    # in its old or its new version.
    between = state(data)
    assert between["keyword_gaps"] == (0, 0)
    assert set(between["sources"]) <= set(before["sources"]) | set(clean["state"]["sources"])  # type: ignore[index]
    listed = set(between["chunks"])
    assert all(any(v.startswith(c + "-") for v in between["vectors"]) for c in listed)

    rerun = qa(data, "ingest", str(corpus))
    assert rerun.returncode == 0, rerun.stderr
    assert state(data) == clean["state"]
    verified = qa(data, "sources", "verify")
    assert verified.returncode == 0 and "consistent" in verified.stdout, verified.stdout + verified.stderr


def test_verify_finds_and_repair_fixes_what_a_crash_can_leave(clean: dict[str, object], tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(clean["data"], data)  # type: ignore[arg-type]
    from assistant import Settings, build_assistant
    from assistant.models.embedder import FakeEmbedder

    assistant = build_assistant(
        Settings(data_dir=data, collection="docs", answerer="extractive"), embedder=FakeEmbedder()
    )
    some_chunk = assistant.catalog.records.collection_chunks("docs")[0]
    # An orphan vector, a missing vector and a keyword row without a chunk.
    assistant.store.upsert(["0123456789abcdef-0"], FakeEmbedder().embed_batch(["stray"]), [some_chunk.source])
    assistant.store.delete([f"{some_chunk.chunk_id}-0"])
    assistant.catalog.close()
    table = fts_table("docs")
    # Damaging the keyword index on purpose, from outside as another program could: it is a SQLite file.
    with closing(sqlite3.connect(catalog_file(data))) as db, db:
        db.execute(
            f"DELETE FROM {table} WHERE rowid = (SELECT rowid FROM chunks WHERE chunk_id=?)", (some_chunk.chunk_id,)
        )
        db.execute(f"INSERT INTO {table} (rowid, text) VALUES (999999, 'a row of no chunk')")

    found = qa(data, "sources", "verify")
    assert found.returncode == 1
    assert "1 orphan vectors" in found.stdout and "0123456789abcdef-0" in found.stdout
    assert "1 missing vectors" in found.stdout and f"{some_chunk.chunk_id}-0" in found.stdout
    assert "1 keyword rows without a chunk" in found.stdout and "1 chunks without a keyword row" in found.stdout
    assert "--repair" in found.stderr
    repaired = qa(data, "sources", "verify", "--repair")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert "after repair: collection 'docs'" in repaired.stdout and repaired.stdout.rstrip().endswith("consistent")
    assert state(data) == clean["state"]
