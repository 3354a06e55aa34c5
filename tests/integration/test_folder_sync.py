"""`Assistant.ingest(folder, remove_missing=True)` keeps a collection in sync with a folder, and only with it."""

from __future__ import annotations

from pathlib import Path

from assistant import Assistant


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_only_files_gone_from_the_folder_given_are_removed(fake_assistant: Assistant, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    kept = write(docs / "kept.txt", "The depot opens at seven.")
    gone = write(docs / "sub" / "gone.txt", "The depot closes at nine.")
    sibling = write(tmp_path / "docs-old" / "old.txt", "The old depot closed in 1999.")  # a name that starts alike
    fake_assistant.ingest([docs, sibling])
    gone.unlink()
    sibling.unlink()  # gone too, but not from the folder being synced
    report = fake_assistant.ingest([docs], remove_missing=True)
    assert [(Path(r.source).name, r.status) for r in report.results] == [
        ("kept.txt", "unchanged"),
        ("gone.txt", "removed"),
    ]
    assert sorted(Path(r.source).name for r in fake_assistant.sources()) == ["kept.txt", "old.txt"]
    assert fake_assistant.verify().ok
    assert str(kept) in {r.source for r in fake_assistant.sources()}


def test_a_file_that_fails_to_read_is_not_taken_for_gone(fake_assistant: Assistant, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    note = write(docs / "note.txt", "The depot opens at seven.")
    fake_assistant.ingest([docs])
    note.write_text("", encoding="utf-8")  # now fails (empty), but is still there
    report = fake_assistant.ingest([docs], remove_missing=True)
    assert [r.status for r in report.results] == ["failed"]
    assert [Path(r.source).name for r in fake_assistant.sources()] == ["note.txt"]


def test_without_remove_missing_nothing_is_removed(fake_assistant: Assistant, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write(docs / "a.txt", "The depot opens at seven.")
    gone = write(docs / "b.txt", "The depot closes at nine.")
    fake_assistant.ingest([docs])
    gone.unlink()
    assert fake_assistant.ingest([docs]).summary() == "1 unchanged"
    assert len(fake_assistant.sources()) == 2
