"""A folder ingest never follows a link out of the folder unless told to (issue 26, item 4)."""

from __future__ import annotations

from pathlib import Path

from tests.reliability.conftest import qa, state


def _folder(tmp_path: Path) -> tuple[Path, Path]:
    docs, elsewhere = tmp_path / "docs", tmp_path / "elsewhere"
    docs.mkdir()
    elsewhere.mkdir()
    (docs / "ferry.md").write_text("The harbour ferry leaves every 40 minutes from the north pier.\n", encoding="utf-8")
    secret = elsewhere / "secret.md"
    secret.write_text("The vault code of the harbour office is 7741-ALPHA.\n", encoding="utf-8")
    (docs / "notes.md").symlink_to(secret)  # a file link out of the folder
    (docs / "same-ferry.md").symlink_to("ferry.md")  # a link inside the folder: fine
    return docs, secret


def test_a_link_out_of_the_folder_is_skipped_with_a_note_and_its_text_is_not_searchable(tmp_path: Path) -> None:
    docs, secret = _folder(tmp_path)
    data = tmp_path / "data"
    done = qa(data, "ingest", str(docs))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"skipped: {docs / 'notes.md'}: links to {secret}, outside the folder" in done.stderr, done.stderr
    assert "QA_FOLLOW_OUTSIDE_LINKS" in done.stderr
    assert "1 added" in done.stdout  # ferry.md, once (the inside link names the same file)
    assert [name for name, _, _ in state(data)["sources"]] == ["ferry.md"]
    found = qa(data, "search", "vault code of the harbour office")
    assert found.returncode == 0 and "7741" not in found.stdout, found.stdout


def test_the_setting_follows_outside_links_and_a_resync_without_it_removes_what_they_brought_in(
    tmp_path: Path,
) -> None:
    docs, secret = _folder(tmp_path)
    data = tmp_path / "data"
    allowed = qa(data, "ingest", str(docs), env={"QA_FOLLOW_OUTSIDE_LINKS": "true"})
    assert allowed.returncode == 0 and "2 added" in allowed.stdout, allowed.stdout + allowed.stderr
    assert "7741" in qa(data, "search", "vault code of the harbour office").stdout
    again = qa(data, "ingest", str(docs))  # an ordinary sync of the folder: the link's target goes
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"removed: {secret} (" in again.stdout, again.stdout
    assert [name for name, _, _ in state(data)["sources"]] == ["ferry.md"]
    assert "7741" not in qa(data, "search", "vault code of the harbour office").stdout
    assert secret.exists()  # the file itself is never touched
