"""Upload names: the extension survives, different uploads never overwrite each other, re-uploads map back."""

from pathlib import Path

import pytest

from assistant import Settings
from assistant.app.uploads import Staging, folder_locked, safe_filename, upload_folder
from assistant.errors import InputError


def save_upload(settings: Settings, name: str, data: bytes) -> Path:
    """Stage one upload and move it in, as the web app and the API do (without the ingest)."""
    staging = Staging.create(settings.storage.data_dir)
    try:
        staged = staging.add(name, data, settings)
        if staged.problem:
            raise InputError(staged.problem)
        folder = upload_folder(settings)
        folder.mkdir(parents=True, exist_ok=True)
        with folder_locked(folder):
            placed = staging.place(settings, staged, [])
            placed.keep()
        return placed.target
    finally:
        staging.discard()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", collection="uploads-test", answerer="extractive", max_upload_mb=1)


@pytest.mark.parametrize("name", ["x" * 300 + ".md", "a" * 119 + ".docx", "../" + "é" * 200 + ".pdf"])
def test_a_long_name_keeps_its_extension_and_stays_short(name: str) -> None:
    clean = safe_filename(name)
    assert clean.endswith(Path(name).suffix)
    assert len(clean) <= 120


def test_safe_names_still_hold_no_directories_or_odd_characters() -> None:
    assert safe_filename("../../notes.md") == "notes.md"
    assert safe_filename("C:\\Users\\me\\a b.pdf") == "a_b.pdf"
    assert safe_filename("Report (final).PDF") == "Report_final.PDF"
    assert safe_filename("...md") == "upload.md"


def test_names_that_sanitize_alike_do_not_overwrite_each_other(settings: Settings) -> None:
    first = save_upload(settings, "a_b.pdf", b"first document")
    second = save_upload(settings, "a b.pdf", b"second document")
    assert first.name == "a_b.pdf"
    assert second != first and second.suffix == ".pdf" and second.parent == first.parent
    assert first.read_bytes() == b"first document" and second.read_bytes() == b"second document"
    # Each name keeps mapping to its own file, for re-uploads and new versions alike.
    assert save_upload(settings, "a b.pdf", b"second document") == second
    assert save_upload(settings, "a b.pdf", b"second, edited") == second
    assert save_upload(settings, "a_b.pdf", b"first, edited") == first
    assert first.read_bytes() == b"first, edited" and second.read_bytes() == b"second, edited"


def test_re_uploading_a_file_maps_to_the_same_file(settings: Settings) -> None:
    path = save_upload(settings, "notes.md", b"v1")
    assert save_upload(settings, "notes.md", b"v1") == path
    assert save_upload(settings, "notes.md", b"v2") == path  # a new version replaces the old one
    assert path.read_bytes() == b"v2"
    assert [p.name for p in path.parent.iterdir() if not p.name.startswith(".")] == ["notes.md"]


def test_identical_bytes_under_a_look_alike_name_share_the_file(settings: Settings) -> None:
    path = save_upload(settings, "a_b.txt", b"same")
    assert save_upload(settings, "a b.txt", b"same") == path


def test_an_oversized_upload_is_refused_with_its_size_and_the_limit(settings: Settings) -> None:
    with pytest.raises(InputError) as error:
        save_upload(settings, "big report.pdf", b"x" * (3 * 1024 * 1024 // 2))
    assert "big report.pdf is 1.5 MB" in str(error.value) and "1 MB limit" in str(error.value)
    assert "QA_MAX_UPLOAD_MB" in str(error.value)


def test_uploads_saved_at_the_same_time_all_keep_their_names(settings: Settings) -> None:
    # Two uploads that sanitize alike, saved together from many threads (as the web service does):
    # each keeps its own file and its name entry, and none fails on the shared name list.
    from concurrent.futures import ThreadPoolExecutor

    uploads = [(f"note {n}.md" if n % 2 else f"note_{n - 1}.md", f"text {n}".encode()) for n in range(1, 33)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        paths = list(pool.map(lambda upload: save_upload(settings, *upload), uploads))
    assert len(set(paths)) == len(uploads)
    assert all(path.read_bytes() == data for path, (_, data) in zip(paths, uploads, strict=True))
    # Re-saving maps back to the same files, which needs every name entry to have survived.
    assert [save_upload(settings, *upload) for upload in uploads] == paths
