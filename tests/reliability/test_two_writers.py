"""Never two writers on one data folder: a second ingest waits for the first (saying so) or gives up with a
clear error; two ingests started together both finish and leave one consistent collection; a reader never
sees two versions of a file at once."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from assistant.index.locking import writer_lock
from tests.reliability.conftest import ROOT, qa, qa_env, state


def corpus(folder: Path, files: int = 12) -> Path:
    folder.mkdir()
    for number in range(files):
        (folder / f"note-{number:02d}.txt").write_text(
            f"Note {number} is about canal lock number {number}. The keeper opens it at dawn and closes it at dusk. "
            f"Boats longer than {20 + number} metres must book a passage a day ahead.",
            encoding="utf-8",
        )
    return folder


def test_a_second_ingest_gives_up_with_a_clear_error_while_another_writes(tmp_path: Path) -> None:
    data, docs = tmp_path / "data", corpus(tmp_path / "docs")
    with writer_lock(data, timeout_s=1):
        blocked = qa(data, "ingest", str(docs), env={"QA_WRITER_TIMEOUT_S": "1"})
    assert blocked.returncode == 1
    assert f"another ingest into {data}" in blocked.stderr and "QA_WRITER_TIMEOUT_S" in blocked.stderr
    assert "pid " in blocked.stderr  # names the process holding the folder
    assert state(data)["sources"] == []  # it wrote nothing


def test_a_second_ingest_waits_with_a_message_and_then_runs(tmp_path: Path) -> None:
    data, docs = tmp_path / "data", corpus(tmp_path / "docs")
    released = threading.Event()

    def hold() -> None:
        with writer_lock(data, timeout_s=1):
            time.sleep(4)
        released.set()

    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.5)
    waiting = qa(data, "ingest", str(docs))
    holder.join()
    assert released.is_set() and waiting.returncode == 0, waiting.stderr
    assert f"waiting for another ingest into {data} to finish" in waiting.stderr
    assert "12 added" in waiting.stdout


def test_two_ingests_started_together_leave_one_consistent_collection(tmp_path: Path) -> None:
    data, docs = tmp_path / "data", corpus(tmp_path / "docs", files=40)
    command = [sys.executable, "-m", "assistant", "ingest", str(docs)]
    both = [
        subprocess.Popen(command, env=qa_env(data), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=300) for process in both]
    assert [process.returncode for process in both] == [0, 0], outputs
    summaries = sorted(out.strip().splitlines()[-1] for out, _ in outputs)
    # One of them ingested everything; the other found it all done.
    assert summaries[0].startswith("40 added") and summaries[1].startswith("40 unchanged"), summaries
    found = state(data)
    assert found["consistent"] and len(found["sources"]) == 40


def test_a_search_during_a_replacement_sees_one_version_of_the_file_never_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worst moment for a reader: the new version's vectors are stored (an ingest writes them first), the
    reader's keyword search has run, and the writer commits the new version before the reader fetches the
    chunks its vector search found."""
    from assistant import Settings, build_assistant
    from assistant.index.catalog import Catalog
    from assistant.index.folder import catalog_file
    from assistant.index.keywords import Keywords
    from assistant.index.store import embedding_units
    from assistant.models.embedder import FakeEmbedder
    from ingest.chunker import chunk_document
    from ingest.loaders import load_document

    settings = Settings(
        data_dir=tmp_path / "data", collection="docs", answerer="extractive", chunk_size=100, chunk_overlap=0
    )
    path = tmp_path / "timetable.txt"
    old = "The ferry timetable lists departures at seven. " * 6
    new = "The ferry timetable lists departures at nine. " * 6
    path.write_text(old, encoding="utf-8")
    reader = build_assistant(settings, embedder=FakeEmbedder())
    reader.ingest([path])
    path.write_text(new, encoding="utf-8")
    document = load_document(path.resolve())
    chunks = chunk_document(document, settings.ingest.chunk_size, settings.ingest.chunk_overlap)
    units = embedding_units(chunks)
    reader.store.upsert(
        [u.vector_id for u in units],
        FakeEmbedder().embed_batch([u.text for u in units]),
        [document.source] * len(units),
    )
    writer = Catalog(catalog_file(settings.storage.data_dir))
    searched = Keywords.search

    def then_the_writer_commits(self: Keywords, *args: object, **kwargs: object) -> object:
        found = searched(self, *args, **kwargs)  # type: ignore[arg-type]
        writer.replace_source("docs", document.source, "new", document.text, document.page_starts, chunks)
        return found

    monkeypatch.setattr(Keywords, "search", then_the_writer_commits)
    passages = reader.search("ferry timetable departures", k=10)
    versions = {"seven" in p.text for p in passages}
    assert passages and len(versions) == 1, [p.text for p in passages]
