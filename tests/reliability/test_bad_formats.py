"""Bad slides, workbooks, CSV, e-books and e-mails: corrupt, empty, password-protected or encrypted, and
oversized files each get their own line naming the file, the problem and the fix, and the rest of the
folder ingests. Every file is generated here."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

from assistant import Assistant
from tests.fixtures.formats import write_csv, write_eml, write_epub, write_pptx, write_xlsx

GOOD_TEXT = "The canal keeper opens lock seven at dawn and closes it at dusk."


def truncated(write: Callable[[Path], Path]) -> Callable[[Path], object]:
    """A real file of the format cut in half, as an interrupted download leaves it."""

    def make(path: Path) -> None:
        whole = write(path.with_name("whole" + path.suffix)).read_bytes()
        path.with_name("whole" + path.suffix).unlink()
        path.write_bytes(whole[: len(whole) // 2])

    return make


def office_with_password(write: Callable[[Path], Path]) -> Callable[[Path], object]:
    """A real file of the format, encrypted with a password as Office does (msoffcrypto-tool)."""

    def make(path: Path) -> None:
        from msoffcrypto.format.ooxml import OOXMLFile

        plain = write(path.with_name("plain" + path.suffix))
        encrypted = io.BytesIO()
        with plain.open("rb") as file:
            OOXMLFile(file).encrypt("secret", encrypted)
        plain.unlink()
        path.write_bytes(encrypted.getvalue())

    return make


def epub_with_drm(path: Path) -> None:
    """A real e-book whose package declares encrypted content (as DRM-protected shop books do)."""
    plain = write_epub(path.with_name("plain.epub"))
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w") as target:
        for member in source.infolist():
            target.writestr(member, source.read(member))
        target.writestr(
            "META-INF/encryption.xml", "<encryption xmlns='urn:oasis:names:tc:opendocument:xmlns:container'/>"
        )
    plain.unlink()


def smime_email(path: Path) -> None:
    path.write_bytes(
        b"From: a@example.org\r\nTo: b@example.org\r\nSubject: Salaries\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n"
        b"Content-Transfer-Encoding: "
        b"base64\r\n\r\nMIAGCSqGSIb3DQEHA6CAMIACAQAxggFAMIIBPAIBADAkMBAxDjAMBgNVBAMTBXRlc3Qx\r\n"
    )


def pptx_without_text(path: Path) -> None:
    from pptx import Presentation

    deck = Presentation()
    deck.slides.add_slide(deck.slide_layouts[6])  # a blank layout: no placeholders, no text
    deck.save(str(path))


# name -> (writer, what its line must say: the file, the problem and the fix)
BAD: dict[str, tuple[Callable[[Path], object], str]] = {
    "cut.pptx": (truncated(write_pptx), r"cut\.pptx: not a readable \.pptx file \(.*\); re-save it from PowerPoint"),
    "cut.xlsx": (truncated(write_xlsx), r"cut\.xlsx: not a readable \.xlsx file \(.*\); re-save it from Excel"),
    "cut.epub": (
        truncated(write_epub),
        r"cut\.epub: not a readable \.epub file \(.*\); re-export it from your e-book editor",
    ),
    "binary.csv": (
        lambda p: p.write_bytes(bytes(range(256)) * 64),
        r"binary\.csv: not a readable CSV file \(looks like binary data, not text\); re-export it as CSV \(UTF-8\)",
    ),
    "binary.eml": (
        lambda p: p.write_bytes(bytes(range(256)) * 64),
        r"binary\.eml: looks like binary data, not a saved e-mail; save the message as \.eml",
    ),
    "not-mail.eml": (
        lambda p: p.write_text("Just a line of notes, no headers.\n"),
        r"not-mail\.eml: not an e-mail \(no From, Subject or Date header\); save the message as \.eml",
    ),
    "empty.pptx": (lambda p: p.write_bytes(b""), r"empty\.pptx: the file is empty; add text to it or leave it out"),
    "empty.xlsx": (lambda p: p.write_bytes(b""), r"empty\.xlsx: the file is empty; add text to it or leave it out"),
    "empty.csv": (lambda p: p.write_bytes(b""), r"empty\.csv: the file is empty; add text to it or leave it out"),
    "empty.epub": (lambda p: p.write_bytes(b""), r"empty\.epub: the file is empty; add text to it or leave it out"),
    "empty.eml": (lambda p: p.write_bytes(b""), r"empty\.eml: the file is empty; add text to it or leave it out"),
    "blank.pptx": (
        pptx_without_text,
        r"blank\.pptx: no text found in it \(only pictures, .*\); add text to it or leave it out",
    ),
    "locked.pptx": (
        office_with_password(write_pptx),
        r"locked\.pptx: the file is password-protected .*; remove the password in PowerPoint, or save it as \.pptx",
    ),
    "locked.xlsx": (
        office_with_password(write_xlsx),
        r"locked\.xlsx: the file is password-protected .*; remove the password in Excel, or save it as \.xlsx",
    ),
    "drm.epub": (epub_with_drm, r"drm\.epub: the e-book is encrypted \(DRM\); export a DRM-free copy"),
    "sealed.eml": (smime_email, r"sealed\.eml: the e-mail is encrypted \(S/MIME or PGP\); save a decrypted copy"),
}


def ingest_folder(
    assistant: Assistant, folder: Path, files: dict[str, Callable[[Path], object]]
) -> dict[str, tuple[str, str]]:
    folder.mkdir()
    for name, write in files.items():
        write(folder / name)
    (folder / "good.txt").write_text(GOOD_TEXT, encoding="utf-8")
    report = assistant.ingest([folder])
    return {Path(result.source).name: (result.status, result.reason) for result in report.results}


def test_each_bad_file_gets_its_own_reason_and_the_rest_of_the_folder_ingests(
    make_assistant: Callable[..., Assistant], tmp_path: Path
) -> None:
    assistant = make_assistant()
    found = ingest_folder(assistant, tmp_path / "docs", {name: write for name, (write, _) in BAD.items()})
    assert found.pop("good.txt") == ("added", "")
    for name, (_, says) in BAD.items():
        status, reason = found[name]
        assert status == "failed" and re.fullmatch(says + ".*", reason), (name, reason)
    assert [Path(record.source).name for record in assistant.sources()] == ["good.txt"]


def zip_bomb(write: Callable[[Path], Path]) -> Callable[[Path], object]:
    """A real file of the format with one extra member that inflates to 8 MB (about 1000:1)."""

    def make(path: Path) -> None:
        whole = write(path.with_name("whole" + path.suffix))
        with zipfile.ZipFile(whole) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
            for member in source.infolist():
                bomb.writestr(member, source.read(member))
            bomb.writestr("padding.xml", b" " * (8 * 2**20))
        whole.unlink()

    return make


def long_csv(path: Path) -> None:
    path.write_text("Lock,Keeper\n" + "".join(f"Lock {n},Keeper number {n}\n" for n in range(300)), encoding="utf-8")


def long_eml(path: Path) -> None:
    write_eml(path)
    path.write_bytes(path.read_bytes().replace(b"Hello team,", b"Hello team, " + b"and more words " * 300))


OVERSIZED: dict[str, tuple[Callable[[Path], object], str]] = {
    "bomb.pptx": (
        zip_bomb(write_pptx),
        (
            r"bomb\.pptx: unpacks to 9 MB, more than the \d+ MB that QA_MAX_FILE_MB and "
            r"QA_MAX_TEXT_CHARS allow, so it may be a zip bomb; re-save it from PowerPoint or raise the limits"
        ),
    ),
    "bomb.xlsx": (zip_bomb(write_xlsx), r"bomb\.xlsx: unpacks to 9 MB, .* re-save it from Excel or raise the limits"),
    "bomb.epub": (
        zip_bomb(write_epub),
        r"bomb\.epub: unpacks to 9 MB, .* re-save it from your e-book editor .* or raise the limits",
    ),
    "long.csv": (
        long_csv,
        (
            r"long\.csv: its text is longer than the 2,000 character limit \(QA_MAX_TEXT_CHARS\); split the "
            r"document or raise the limit"
        ),
    ),
    "long.eml": (
        long_eml,
        r"long\.eml: its text is longer than the 2,000 character limit \(QA_MAX_TEXT_CHARS\); split",
    ),
    "big.csv": (
        lambda p: p.write_bytes(b"a,b\n" + b"1,2\n" * (2**19)),
        r"big\.csv: 3 MB is larger than the 2 MB limit \(QA_MAX_FILE_MB\); split the file or raise the limit",
    ),
}


def test_oversized_files_are_refused_with_the_setting_to_raise(
    make_assistant: Callable[..., Assistant], tmp_path: Path
) -> None:
    assistant = make_assistant(max_file_mb=2, max_text_chars=2000)
    found = ingest_folder(assistant, tmp_path / "docs", {name: write for name, (write, _) in OVERSIZED.items()})
    assert found.pop("good.txt") == ("added", "")
    for name, (_, says) in OVERSIZED.items():
        status, reason = found[name]
        assert status == "failed" and re.fullmatch(says + ".*", reason), (name, reason)


def test_a_long_sheet_is_refused_by_the_text_cap_while_it_is_read(
    make_assistant: Callable[..., Assistant], tmp_path: Path
) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for n in range(500):
        sheet.append((f"Lock {n}", f"Keeper number {n}"))
    book.save(str(tmp_path / "locks.xlsx"))
    report = make_assistant(max_text_chars=2000).ingest([tmp_path / "locks.xlsx"])
    assert report.results[0].reason.startswith("locks.xlsx: its text is longer than the 2,000 character limit")


def test_csv_needs_no_password_case_and_reads_a_tab_separated_export(
    make_assistant: Callable[..., Assistant], tmp_path: Path
) -> None:
    # CSV has no password protection; the closest everyday trouble is an export with tabs or semicolons.
    (tmp_path / "locks.tsv").write_text("Lock\tKeeper\nSeven\tAda Brook\n", encoding="utf-8")
    write_csv(tmp_path / "harvest.csv")
    report = make_assistant().ingest([tmp_path / "locks.tsv", tmp_path / "harvest.csv"])
    assert report.count("added") == 2
