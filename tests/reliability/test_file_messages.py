"""What `qa ingest` says about a troubled file names that file: a password-protected Word document is called
password-protected (as slides and workbooks are), and what pypdf repaired in a damaged PDF is a note on that
PDF's line, never a bare line on stderr that belongs to no file."""

from __future__ import annotations

import re
from pathlib import Path

from tests.fixtures.documents import write_docx, write_pdf
from tests.fixtures.formats import write_pptx, write_xlsx
from tests.reliability.conftest import qa
from tests.reliability.test_bad_formats import office_with_password

FAKE = {"QA_EMBEDDER": "fake"}


def write_damaged_pdf(path: Path) -> Path:
    """A real PDF whose cross-reference pointer is off by a few bytes: pypdf warns, rebuilds it and reads on."""
    whole = write_pdf(path, ["The night ferry leaves pier three at eleven."]).read_bytes()
    tail = whole.rindex(b"startxref")
    pointer = int(re.search(rb"startxref\s+(\d+)", whole[tail:]).group(1))  # type: ignore[union-attr]
    path.write_bytes(whole[:tail] + b"startxref\n" + str(pointer + 7).encode() + b"\n%%EOF\n")
    return path


def test_password_protected_office_files_are_all_called_so(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    office_with_password(lambda p: write_docx(p, ["The vault code is 4411."]))(docs / "locked.docx")
    office_with_password(write_pptx)(docs / "locked.pptx")
    office_with_password(write_xlsx)(docs / "locked.xlsx")
    done = qa(tmp_path / "data", "ingest", str(docs), env=FAKE)
    assert done.returncode == 1
    for name, app in (("locked.docx", "Word"), ("locked.pptx", "PowerPoint"), ("locked.xlsx", "Excel")):
        line = next((line for line in done.stderr.splitlines() if line.startswith(f"failed: {docs / name}")), "")
        assert "the file is password-protected" in line and f"remove the password in {app}" in line, done.stderr
    assert "not a readable" not in done.stderr, done.stderr


def test_pypdf_warnings_are_a_note_on_the_file_they_belong_to(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    write_damaged_pdf(docs / "night-ferry.pdf")
    write_pdf(docs / "day-ferry.pdf", ["The day ferry leaves pier one at nine."])
    done = qa(tmp_path / "data", "ingest", str(docs), env=FAKE)
    assert done.returncode == 0, done.stderr
    assert "2 added" in done.stdout, done.stdout
    lines = [line for line in re.split(r"[\r\n]", done.stderr) if line.strip() and not line.startswith("ingest")]
    # One line, naming the file, saying what was wrong and what to do; the intact PDF gets none.
    assert len(lines) == 1, lines
    assert lines[0].startswith("  note: night-ferry.pdf: the PDF is damaged but was read (pypdf: "), lines
    assert "startxref" in lines[0] and lines[0].endswith("re-export it if text is missing"), lines
    found = qa(tmp_path / "data", "search", "night ferry eleven", "-k", "1", env=FAKE)
    assert found.stdout.startswith("1. night-ferry.pdf, page 1"), found.stdout + found.stderr


def test_a_file_name_that_is_not_utf8_is_named_with_the_fix_and_the_rest_of_the_folder_ingests(
    tmp_path: Path,
) -> None:
    """A Latin-1 name (legal on Linux) once killed the ingest's reading thread: every file of the folder was
    lost and `qa ingest` said "no files" and exited 0."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "bread.txt").write_text("Rye bread is baked every morning.", encoding="utf-8")
    with open(bytes(docs) + b"/caf\xe9-menu.txt", "wb") as handle:
        handle.write(b"Soup is served on Fridays.")
    done = qa(tmp_path / "data", "ingest", str(docs), env=FAKE)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "1 added, 1 failed" in done.stdout, done.stdout + done.stderr
    line = next(line for line in done.stderr.splitlines() if "caf" in line)
    assert "caf\\xe9-menu.txt" in line and "not valid UTF-8" in line and "rename" in line, line
