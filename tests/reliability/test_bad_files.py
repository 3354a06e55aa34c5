"""Bad files: each gets its own result naming the file, the problem and the fix; the rest of the batch
ingests; memory stays bounded (file-size and text caps, zip bombs refused unread); nothing stored before
is touched. Every bad file is generated here, none is committed."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tempfile
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant import Assistant
from ingest.indexer import FileResult, IngestReport
from tests.fixtures.documents import write_docx, write_pdf
from tests.reliability.conftest import ROOT, qa, qa_env, state

GOOD_TEXT = "The canal keeper opens lock seven at dawn and closes it at dusk."
EARLIER_TEXT = "The lighthouse lamp on Gull Rock is lit every evening at eight."
UNPACKED_MB = 500
MB = 2**20


def write_sparse(path: Path, size: int) -> Path:
    """A file of ``size`` bytes that takes almost no disk (a hole, then one byte)."""
    with path.open("wb") as file:
        file.seek(size - 1)
        file.write(b"x")
    return path


def write_truncated_pdf(path: Path) -> Path:
    whole = write_pdf(path, ["A page about apples, cut off in the middle of the file."]).read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    return path


def write_encrypted_pdf(path: Path, user_password: str = "secret") -> Path:
    from pypdf import PdfReader, PdfWriter

    plain = write_pdf(path, ["The vault code is written on page one."]).read_bytes()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(plain)))
    writer.encrypt(user_password, owner_password="owner")
    writer.write(path)
    return path


def write_image_only_pdf(path: Path) -> Path:
    """A page without a text layer, as a scan without OCR."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    writer.write(path)
    return path


def write_zip_bomb(path: Path, unpacked_mb: int = UNPACKED_MB) -> Path:
    """A real .docx whose word/document.xml inflates to ``unpacked_mb`` MB (about 1000:1)."""
    template = write_docx(path.with_name("template.docx"), ["A harmless paragraph."]).read_bytes()
    with zipfile.ZipFile(io.BytesIO(template)) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
        for member in source.infolist():
            if member.filename != "word/document.xml":
                bomb.writestr(member, source.read(member))
        with bomb.open("word/document.xml", "w", force_zip64=True) as xml:
            block = b" " * MB
            for _ in range(unpacked_mb):
                xml.write(block)
    path.with_name("template.docx").unlink()
    return path


def write_nested_html(path: Path, depth: int = 100_000) -> Path:
    path.write_text("<html><body>" + "<div>" * depth + "deep text" + "</div>" * depth + "</body></html>")
    return path


def write_link_loops(folder: Path) -> None:
    """a.txt -> b.txt -> a.txt, a folder link back to its parent, and a link to nothing."""
    (folder / "sub").mkdir()
    (folder / "a.txt").symlink_to("b.txt")
    (folder / "b.txt").symlink_to("a.txt")
    (folder / "sub" / "up").symlink_to("..")
    (folder / "dangling.txt").symlink_to("missing.txt")


# name -> (writer, status, what its line must say: the file, the problem and the fix)
BAD: dict[str, tuple[Callable[[Path], object], str, str]] = {
    "empty.txt": (lambda p: p.write_bytes(b""), "failed", r"empty\.txt: the file is empty; add text to it"),
    "binary.txt": (
        lambda p: p.write_bytes(bytes(range(256)) * 64),
        "failed",
        r"binary\.txt: looks like binary data, not text; convert it",
    ),
    "huge.txt": (
        lambda p: write_sparse(p, 200 * MB),
        "failed",
        r"huge\.txt: 200 MB is larger than the 100 MB limit \(QA_MAX_FILE_MB\); split the file or raise the limit",
    ),
    "truncated.pdf": (
        write_truncated_pdf,
        "failed",
        r"truncated\.pdf: not a readable PDF .*; re-export or repair the file",
    ),
    "encrypted.pdf": (write_encrypted_pdf, "failed", r"encrypted\.pdf: the PDF is encrypted; save an unprotected copy"),
    "scanned.pdf": (write_image_only_pdf, "failed", r"scanned\.pdf: the PDF has no extractable text .*; run OCR on it"),
    "bomb.docx": (
        write_zip_bomb,
        "failed",
        (
            rf"bomb\.docx: unpacks to {UNPACKED_MB + 1} MB, more than the \d+ MB that QA_MAX_FILE_MB and "
            r"QA_MAX_TEXT_CHARS allow, so it may be a zip bomb; re-save it from Word or raise the limits"
        ),
    ),
}
LINKS = {
    "a.txt": ("failed", r"a\.txt: a symbolic link loop; fix or remove the link"),
    "b.txt": ("failed", r"b\.txt: a symbolic link loop; fix or remove the link"),
    "up": ("skipped", r"up: links back to .*, a folder holding it \(a loop\); not followed, remove the link"),
    "dangling.txt": ("failed", r"dangling\.txt: a link to missing\.txt, which does not exist; fix or remove the link"),
}
# Files that must load, each with a word no other file has.
ODD_NAMES = {
    "my notes.txt": "walrus",
    "Zürich 東京 ünïcode.md": "narwhal",
    "notes..v2.txt": "pelican",
    "-rf.txt": "otter",
}


@pytest.fixture
def assistant(make_assistant: Callable[..., Assistant]) -> Assistant:
    return make_assistant()


def results(report: IngestReport) -> dict[str, FileResult]:
    return {Path(result.source).name: result for result in report.results}


def folder_with(tmp_path: Path, name: str, write: Callable[[Path], object]) -> Path:
    """A folder holding the bad file ``name`` and one good file."""
    folder = tmp_path / "docs"
    folder.mkdir()
    write(folder / name)
    (folder / "good.txt").write_text(GOOD_TEXT, encoding="utf-8")
    return folder


@pytest.mark.parametrize("name", list(BAD))
def test_a_bad_file_gets_its_own_reason_and_the_rest_of_the_batch_ingests(
    assistant: Assistant, tmp_path: Path, name: str
) -> None:
    write, status, says = BAD[name]
    found = results(assistant.ingest([folder_with(tmp_path, name, write)]))
    assert found["good.txt"].status == "added"
    assert found[name].status == status and re.fullmatch(says + ".*", found[name].reason), found[name]
    assert [Path(record.source).name for record in assistant.sources()] == ["good.txt"]


def peak_python_memory(action: Callable[[], object]) -> int:
    """Peak bytes allocated by Python code while ``action`` runs."""
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_file_over_the_size_cap_is_refused_before_it_is_read(assistant: Assistant, tmp_path: Path) -> None:
    huge = write_sparse(tmp_path / "huge.txt", 200 * MB)
    report: list[IngestReport] = []
    peak = peak_python_memory(lambda: report.append(assistant.ingest([huge])))
    assert peak < 20 * MB, f"{peak / MB:.0f} MB allocated: the file was read"
    assert re.fullmatch(BAD["huge.txt"][2], report[0].results[0].reason)


def test_the_size_cap_is_a_setting(make_assistant: Callable[..., Assistant], tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text(GOOD_TEXT * 40_000, encoding="utf-8")  # about 2.5 MB of real text
    report = make_assistant(max_file_mb=1).ingest([big])
    assert (
        report.results[0].reason
        == "big.txt: 3 MB is larger than the 1 MB limit (QA_MAX_FILE_MB); split the file or raise the limit"
    )


def test_a_docx_zip_bomb_is_refused_before_it_is_inflated(assistant: Assistant, tmp_path: Path) -> None:
    bomb = write_zip_bomb(tmp_path / "bomb.docx")
    report: list[IngestReport] = []
    peak = peak_python_memory(lambda: report.append(assistant.ingest([bomb])))
    assert peak < 50 * MB, f"{peak / MB:.0f} MB allocated: the bomb was inflated"
    assert re.fullmatch(BAD["bomb.docx"][2], report[0].results[0].reason)


@pytest.mark.parametrize("name", ["page.html", "report.pdf", "memo.docx"])
def test_a_document_with_more_text_than_the_text_cap_is_refused(
    make_assistant: Callable[..., Assistant], tmp_path: Path, name: str
) -> None:
    paragraphs = [f"Paragraph {number}: {GOOD_TEXT}" for number in range(30)]  # about 2,300 characters
    path = tmp_path / name
    if name.endswith(".html"):
        path.write_text("<html><body>" + "".join(f"<p>{text}</p>" for text in paragraphs) + "</body></html>")
    elif name.endswith(".pdf"):
        write_pdf(path, paragraphs)
    else:
        write_docx(path, paragraphs)
    report = make_assistant(max_text_chars=1000).ingest([path])
    assert report.results[0].reason == (
        f"{name}: its text is longer than the 1,000 character limit (QA_MAX_TEXT_CHARS); split the document or "
        "raise the limit"
    )


def test_deeply_nested_html_loads_in_linear_time_without_recursion(tmp_path: Path) -> None:
    # In a subprocess with a timeout: the old tree edits took minutes on this page (time grew with depth
    # times tags), and a RecursionError or a crash shows as a non-zero exit.
    page = write_nested_html(tmp_path / "nested.html")
    code = "import sys, pathlib, ingest.loaders as l; print(l.load_document(pathlib.Path(sys.argv[1])).text)"
    done = subprocess.run(
        [sys.executable, "-c", code, str(page)],
        env=qa_env(tmp_path / "data"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "deep text"


def test_utf16_with_a_byte_order_mark_loads_exactly(assistant: Assistant, tmp_path: Path) -> None:
    text = "The café in Zürich opens at nine.\nDer Schlüssel liegt unter der Matte."
    (tmp_path / "utf16.txt").write_bytes(text.encode("utf-16"))  # with a BOM
    report = assistant.ingest([tmp_path / "utf16.txt"])
    assert report.results[0].status == "added", report.results[0].reason
    assert assistant.document_text(report.results[0].source) == text


def test_utf8_with_a_few_damaged_bytes_keeps_the_rest_of_the_text(assistant: Assistant, tmp_path: Path) -> None:
    good = "Grüße aus München, die Straße ist schön. " * 3
    (tmp_path / "damaged.txt").write_bytes(good.encode() + b"\xff\xfe broken \xc3 bytes. " + b"Ende gut.")
    report = assistant.ingest([tmp_path / "damaged.txt"])
    text = assistant.document_text(report.results[0].source) or ""
    assert text.startswith(good) and text.endswith("Ende gut.")  # not read as another encoding (mojibake)
    assert text.count("\ufffd") == 3  # each damaged byte marked, nothing else lost


def test_a_pdf_restricted_but_without_a_password_is_read(assistant: Assistant, tmp_path: Path) -> None:
    report = assistant.ingest([write_encrypted_pdf(tmp_path / "restricted.pdf", user_password="")])
    assert report.results[0].status == "added", report.results[0].reason
    assert "vault code" in (assistant.document_text(report.results[0].source) or "")


def test_symlink_loops_are_reported_and_do_not_hang(assistant: Assistant, tmp_path: Path) -> None:
    folder = folder_with(
        tmp_path, "note.txt", lambda p: p.write_text("Loops do not stop the keeper.", encoding="utf-8")
    )
    write_link_loops(folder)
    found = results(assistant.ingest([folder]))
    assert found["good.txt"].status == found["note.txt"].status == "added"
    for name, (status, says) in LINKS.items():
        assert found[name].status == status and re.search(says, found[name].reason), found[name]
    assert re.search(LINKS["a.txt"][1], assistant.ingest([folder / "a.txt"]).results[0].reason)  # named directly


def test_odd_file_names_ingest_and_answer(assistant: Assistant, tmp_path: Path) -> None:
    folder = tmp_path / "odd names"
    folder.mkdir()
    for name, word in ODD_NAMES.items():
        (folder / name).write_text(f"The {word} was seen near the harbour wall.", encoding="utf-8")
    found = results(assistant.ingest([folder]))
    assert {name: found[name].status for name in ODD_NAMES} == dict.fromkeys(ODD_NAMES, "added")
    for name, word in ODD_NAMES.items():
        assert Path(assistant.search(f"{word} harbour", k=1)[0].source).name == name


def write_all_bad_files(folder: Path) -> None:
    folder.mkdir()
    for name, (write, _, _) in BAD.items():
        write(folder / name)
    write_nested_html(folder / "nested.html")
    write_link_loops(folder)
    for name, word in ODD_NAMES.items():
        (folder / name).write_text(f"The {word} was seen near the harbour wall.", encoding="utf-8")
    (folder / "good one.txt").write_text(GOOD_TEXT, encoding="utf-8")
    (folder / "good-two.md").write_text("# Ferry\n\nThe ferry to the island leaves at noon.", encoding="utf-8")


def run_measured(data: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], int]:
    """`qa ARGS` in a subprocess (fake embedder), with its own peak resident memory in bytes."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "assistant", *args],
            env=qa_env(data, {"QA_EMBEDDER": "fake"}),
            cwd=ROOT,
            stdout=out,
            stderr=err,
            text=True,
        )
        _, status, usage = os.wait4(process.pid, 0)  # unlike Popen.wait, also gives the child's peak memory
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        done = subprocess.CompletedProcess(process.args, process.returncode, out.read(), err.read())
    return done, usage.ru_maxrss * 1024


def test_qa_ingest_of_a_folder_of_bad_files(tmp_path: Path) -> None:
    data, folder, earlier = tmp_path / "data", tmp_path / "bad", tmp_path / "earlier.txt"
    earlier.write_text(EARLIER_TEXT, encoding="utf-8")
    first, baseline = run_measured(data, "ingest", str(earlier))
    assert first.returncode == 0, first.stderr
    before = state(data)
    write_all_bad_files(folder)

    batch, peak = run_measured(data, "ingest", str(folder))

    assert batch.returncode == 1, batch.stderr
    expected = {name: (status, says) for name, (_, status, says) in BAD.items()} | LINKS
    for name, (status, says) in expected.items():
        assert re.search(rf"^{status}: .*{says}", batch.stderr, re.MULTILINE), f"no line for {name}:\n{batch.stderr}"
    for name in ["good one.txt", "good-two.md", "nested.html", *ODD_NAMES]:
        assert f"added: {(folder / name).resolve()} (" in batch.stdout, batch.stdout
    # Reading the 200 MB file or inflating the bomb would add at least 200 MB to a one-file ingest's peak
    # (the nested page's parse tree adds about 80).
    assert peak < baseline + 150 * MB, f"peak {peak / MB:.0f} MB, {baseline / MB:.0f} MB for one small file"
    after = state(data)
    assert after["consistent"] and set(before["sources"]) <= set(after["sources"])  # earlier.txt untouched
    assert len(after["sources"]) == len(before["sources"]) + 3 + len(ODD_NAMES)
    found = qa(data, "search", "lighthouse lamp Gull Rock", env={"QA_EMBEDDER": "fake"})
    assert found.returncode == 0 and found.stdout.startswith("1. earlier.txt"), found.stdout + found.stderr
