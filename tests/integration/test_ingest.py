"""Ingest against real Chroma in a temp dir and the real embedding model."""

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from assistant import Assistant, IngestError
from assistant.errors import ModelError, StoreError
from assistant.index.catalog import Catalog
from assistant.models.embedder import FakeEmbedder
from ingest.indexer import Progress
from tests.fixtures.documents import write_pdf


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    write(root / "bees.md", "# Bees\n\nA healthy hive holds about 50,000 bees in summer. " * 3)
    write(root / "trains.txt", "The night train to Vienna leaves at 21:40 from platform 7. " * 3)
    write(root / "nested" / "tea.txt", "Green tea should steep for two minutes at 80 degrees. " * 3)
    write(root / ".hidden" / "secret.txt", "Never index this.")
    return root


def test_folder_is_ingested_recursively_and_a_rerun_adds_nothing(
    make_assistant: Callable[..., Assistant], corpus: Path
) -> None:
    assistant = make_assistant()
    first = assistant.ingest([corpus])
    assert first.summary() == "3 added"
    vectors = assistant.store.count()
    second = assistant.ingest([corpus])
    assert second.summary() == "3 unchanged"
    assert assistant.store.count() == vectors
    assert "secret" not in " ".join(record.source for record in assistant.sources())


def test_editing_a_file_replaces_only_its_chunks(make_assistant: Callable[..., Assistant], corpus: Path) -> None:
    assistant = make_assistant()
    assistant.ingest([corpus])
    tea, trains = str((corpus / "nested" / "tea.txt").resolve()), str((corpus / "trains.txt").resolve())
    trains_ids = assistant.catalog.records.chunk_ids("test-docs", trains)
    write(corpus / "nested" / "tea.txt", "Black tea wants boiling water and four minutes.")
    report = assistant.ingest([corpus])
    assert [(Path(r.source).name, r.status) for r in report.results if r.status != "unchanged"] == [
        ("tea.txt", "replaced")
    ]
    assert assistant.catalog.records.chunk_ids("test-docs", trains) == trains_ids
    assert assistant.store.chunk_ids_for_source(tea) == sorted(assistant.catalog.records.chunk_ids("test-docs", tea))
    top = assistant.search("How long should tea steep?", k=1)[0]
    assert "Black tea" in top.text
    assert all("Green tea" not in p.text for p in assistant.search("green tea 80 degrees", k=5))


def test_removing_a_source_deletes_its_chunks_everywhere(
    make_assistant: Callable[..., Assistant], corpus: Path
) -> None:
    assistant = make_assistant()
    assistant.ingest([corpus])
    result = assistant.remove(corpus / "trains.txt")
    assert result.status == "removed" and result.chunks > 0
    assert assistant.store.ids_for_source(result.source) == []
    assert all(p.source != result.source for p in assistant.search("night train Vienna", k=5))
    with pytest.raises(IngestError, match="not a source of collection 'test-docs'"):
        assistant.remove(corpus / "trains.txt")


def test_bad_files_are_reported_and_the_rest_of_the_batch_still_lands(
    make_assistant: Callable[..., Assistant], corpus: Path, tmp_path: Path
) -> None:
    assistant = make_assistant()
    assistant.ingest([corpus / "bees.md"])
    before = assistant.catalog.records.chunk_ids("test-docs", str((corpus / "bees.md").resolve()))
    bad = tmp_path / "bad"
    write(bad / "empty.txt", "")
    (bad / "blob.txt").write_bytes(bytes(range(256)) * 8)
    (bad / "broken.pdf").write_bytes(b"%PDF-1.7 garbage")
    (bad / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    write_pdf(
        bad / "good.pdf", ["Saffron is the dried stigma of a crocus flower.", "It costs more than gold by weight."]
    )
    report = assistant.ingest([bad, tmp_path / "missing-folder", corpus / "bees.md"])
    outcome = {Path(r.source).name: (r.status, r.reason) for r in report.results}
    assert outcome["good.pdf"][0] == "added"
    assert outcome["bees.md"][0] == "unchanged"
    assert outcome["photo.jpg"] == (
        "skipped",
        (
            "photo.jpg: unsupported file type '.jpg'; convert it to one of csv, docx, eml, epub, htm, html, "
            "markdown, md, "
            "pdf, pptx, text, tsv, txt, xlsm, xlsx"
        ),
    )
    assert "empty.txt: the file is empty" in outcome["empty.txt"][1]
    assert "blob.txt: looks like binary data" in outcome["blob.txt"][1]
    assert "broken.pdf: not a readable PDF" in outcome["broken.pdf"][1]
    assert "missing-folder: no such file or directory" in outcome["missing-folder"][1]
    assert not report.ok
    assert assistant.catalog.records.chunk_ids("test-docs", str((corpus / "bees.md").resolve())) == before
    top = assistant.search("costs more than gold by weight", k=1)[0]
    assert top.source.endswith("good.pdf") and top.page == 2


def test_a_crash_while_recording_leaves_the_old_version_searchable_and_no_orphans(
    make_assistant: Callable[..., Assistant], corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assistant = make_assistant()
    assistant.ingest([corpus])
    tea = str((corpus / "nested" / "tea.txt").resolve())
    old_ids = sorted(assistant.catalog.records.chunk_ids("test-docs", tea))
    write(corpus / "nested" / "tea.txt", "Oolong tea is rolled and partly oxidised.")

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Catalog, "replace_source", crash)
    with pytest.raises(KeyboardInterrupt):
        assistant.ingest([corpus / "nested"])
    assert sorted(assistant.catalog.records.chunk_ids("test-docs", tea)) == old_ids
    assert assistant.store.chunk_ids_for_source(tea) == old_ids
    assert "Green tea" in assistant.search("tea", k=1, sources=[tea])[0].text
    monkeypatch.undo()
    assert [r.status for r in assistant.ingest([corpus / "nested"]).results] == ["replaced"]


def test_vectors_the_catalog_does_not_list_are_never_shown(
    make_assistant: Callable[..., Assistant], corpus: Path
) -> None:
    assistant = make_assistant()
    assistant.ingest([corpus])
    orphan = "Saturn has 146 known moons."
    assistant.store.upsert(["orphan-0"], [assistant.embedder.embed(orphan)], ["/nowhere.txt"])
    assert all(p.chunk_id != "orphan" for p in assistant.search("How many moons does Saturn have?", k=5))


def test_search_can_be_limited_to_some_sources(make_assistant: Callable[..., Assistant], corpus: Path) -> None:
    assistant = make_assistant()
    assistant.ingest([corpus])
    trains = str((corpus / "trains.txt").resolve())
    passages = assistant.search("bees in a hive", k=3, sources=[trains])
    assert passages and all(p.source == trains for p in passages)


def test_changing_the_chunk_size_rechunks_unchanged_files(
    make_assistant: Callable[..., Assistant], corpus: Path
) -> None:
    make_assistant().ingest([corpus])
    report = make_assistant(chunk_size=300).ingest([corpus])
    assert report.summary() == "3 replaced"


class CountingEmbedder(FakeEmbedder):
    """The hashing test double, recording how many texts each call embeds."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls.append(len(texts))
        return super().embed_batch(texts)


def small_files(root: Path, count: int) -> Path:
    for number in range(count):
        write(
            root / f"note{number:03}.txt", f"Note {number} is about topic{number}. It has a second sentence, {number}."
        )
    return root


def test_a_folder_of_small_files_is_embedded_many_files_at_a_time(
    make_assistant: Callable[..., Assistant], tmp_path: Path
) -> None:
    embedder = CountingEmbedder()
    assistant = make_assistant(embedder=embedder)
    events: list[Progress] = []
    report = assistant.ingest([small_files(tmp_path / "notes", 60)], progress=events.append)
    assert report.summary() == "60 added"
    assert len(embedder.calls) == 1 and embedder.calls[0] == 120
    files = [event for event in events if event.stage == "files"]
    assert [event.done for event in files] == list(range(61)) and {event.total for event in files} == {60}
    assert files[-1].chunks == 60
    assert assistant.search("topic37", k=1)[0].source.endswith("note037.txt")


def test_a_file_whose_record_fails_is_reported_alone_and_leaves_no_vectors(
    make_assistant: Callable[..., Assistant], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assistant = make_assistant(embedder=FakeEmbedder())
    folder = small_files(tmp_path / "notes", 5)
    original = Catalog.replace_source

    def fail_for_note2(self: Catalog, collection: str, source: str, *args: Any, **kwargs: Any) -> int:
        if source.endswith("note002.txt"):
            raise StoreError("disk full")
        return original(self, collection, source, *args, **kwargs)

    monkeypatch.setattr(Catalog, "replace_source", fail_for_note2)
    report = assistant.ingest([folder])
    outcome = {Path(r.source).name: (r.status, r.reason) for r in report.results}
    assert outcome["note002.txt"] == ("failed", "disk full")
    assert [status for status, _ in outcome.values()].count("added") == 4
    assert assistant.store.ids_for_source(str((folder / "note002.txt").resolve())) == []
    assert assistant.store.count() == 8  # two sentences of each of the four files that landed


def test_an_embedder_failure_fails_the_files_of_its_batch_and_keeps_what_was_stored(
    make_assistant: Callable[..., Assistant], tmp_path: Path, corpus: Path
) -> None:
    class Broken(FakeEmbedder):
        def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
            raise ModelError("the embedding model ran out of memory")

    make_assistant(embedder=FakeEmbedder()).ingest([corpus])
    assistant = make_assistant(embedder=Broken())
    before = assistant.store.count()
    report = assistant.ingest([small_files(tmp_path / "notes", 3), corpus])
    assert [r.status for r in report.results] == ["failed"] * 3 + ["unchanged"] * 3
    assert all("ran out of memory" in r.reason for r in report.results[:3])
    assert assistant.store.count() == before and len(assistant.sources()) == 3


def test_a_fault_in_the_reading_thread_fails_the_ingest_instead_of_reporting_no_files(
    make_assistant: Callable[..., Assistant], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.txt").write_text("Apples ripen in September.", encoding="utf-8")
    assistant = make_assistant(answerer="extractive")

    def broken(*_args: Any) -> None:
        raise StoreError("the catalog cannot be read")

    monkeypatch.setattr(assistant.catalog.records, "source", broken)
    with pytest.raises(StoreError, match="catalog cannot be read"):
        assistant.ingest([tmp_path])


def test_a_commit_the_disk_refuses_fails_each_file_of_its_slice_once(
    make_assistant: Callable[..., Assistant], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first file's catalog commit finds the disk full while the next file is half embedded: each file
    gets exactly one line, none is counted twice and none goes missing from the report."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("Apples ripen in September. Pears follow in October.", encoding="utf-8")
    (folder / "b.txt").write_text(
        " ".join(f"Plum tree {n} was planted in spring." for n in range(12)), encoding="utf-8"
    )
    assistant = make_assistant(answerer="extractive", embed_batch_size=4)

    def full(*_args: Any, **_kwargs: Any) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(assistant.catalog, "replace_source", full)
    report = assistant.ingest([folder])
    assert sorted(Path(result.source).name for result in report.results) == ["a.txt", "b.txt"], report.results
    assert all(result.status == "failed" for result in report.results)
