"""Cases an outside attack found holding (issue 26), kept here so that they keep holding: XML external
entities in every XML-based format read no local file into the collection, three ingests into one data folder
at once all finish and lose nothing, and a writer killed at any moment of a removal or a re-sync leaves a
folder that the next run converges to a clean state. Each `qa` runs in its own process."""

from __future__ import annotations

import io
import re
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.fixtures.documents import write_docx
from tests.fixtures.formats import write_epub, write_pptx, write_xlsx
from tests.reliability.conftest import ROOT, qa, qa_env, state

FAKE = {"QA_EMBEDDER": "fake"}
SECRET = "TOKEN-7f3a9c-never-to-be-indexed"
DTD_SECRET = "TOKEN-b41d07-from-the-outside-dtd"


def doctype(secret_file: Path, dtd_file: Path, variant: str) -> bytes:
    """An internal subset declaring an external entity on a local file ('general'), or an external DTD on
    local disk that declares one ('dtd'): the two ways XXE reads a file."""
    if variant == "general":
        return f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file://{secret_file}">]>'.encode()
    return f'<!DOCTYPE r SYSTEM "file://{dtd_file}">'.encode()


def with_entity(xml: bytes, anchor: bytes, declaration: bytes, variant: str) -> bytes:
    """``xml`` with ``declaration`` after its XML declaration and the entity referenced right after ``anchor``."""
    assert anchor in xml, anchor
    reference = b" &xxe;" if variant == "general" else b" &leak;"
    xml = xml.replace(anchor, anchor + reference, 1)
    if xml.startswith(b"<?xml"):
        end = xml.index(b"?>") + 2
        return xml[:end] + b"\n" + declaration + xml[end:]
    return declaration + b"\n" + xml


def rewrite_member(package: Path, member: str, anchor: bytes, declaration: bytes, variant: str) -> None:
    """Rewrite one XML member of a zip package (Office file, e-book) in place, the rest unchanged."""
    with zipfile.ZipFile(package) as source:
        members = [(info, source.read(info)) for info in source.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in members:
            target.writestr(info, with_entity(data, anchor, declaration, variant) if info.filename == member else data)
    package.write_bytes(out.getvalue())


def xxe_files(folder: Path, secret_file: Path, dtd_file: Path) -> list[str]:
    """Each XML-based format the loaders read, with an external entity where its text is read from."""
    names = []
    for variant in ("general", "dtd"):
        declaration = doctype(secret_file, dtd_file, variant)
        docx = write_docx(folder / f"{variant}.docx", ["The harbour ferry leaves at seven."])
        rewrite_member(docx, "word/document.xml", b"The harbour ferry leaves at seven.", declaration, variant)
        pptx = write_pptx(folder / f"{variant}.pptx")
        rewrite_member(
            pptx,
            "ppt/slides/slide1.xml",
            b"A three-year programme for the old harbor of Westmere.",
            declaration,
            variant,
        )
        xlsx = write_xlsx(folder / f"{variant}.xlsx")
        rewrite_member(xlsx, "xl/sharedStrings.xml", b"North Loop", declaration, variant)
        epub = write_epub(folder / f"{variant}.epub")
        with zipfile.ZipFile(epub) as book:
            opf = next(name for name in book.namelist() if name.endswith(".opf"))
            chapter = next(name for name in book.namelist() if name.endswith("chapter1.xhtml"))
        rewrite_member(epub, opf, b"The Keepers of Gull Rock", declaration, variant)
        rewrite_member(epub, chapter, b"with coal for six months.", declaration, variant)
        reference = "&xxe;" if variant == "general" else "&leak;"
        (folder / f"{variant}.html").write_bytes(
            declaration + f"\n<html><body><p>The pier closes at dusk. {reference}</p></body></html>".encode()
        )
        names += [f"{variant}.{suffix}" for suffix in ("docx", "pptx", "xlsx", "epub", "html")]
    return names


def test_xml_external_entities_never_read_a_local_file_into_the_collection(tmp_path: Path) -> None:
    secret_file, dtd_file = tmp_path / "secret.txt", tmp_path / "evil.dtd"
    secret_file.write_text(f"the password is {SECRET}\n", encoding="utf-8")
    (tmp_path / "dtd-secret.txt").write_text(f"the password is {DTD_SECRET}\n", encoding="utf-8")
    dtd_file.write_text(f'<!ENTITY leak SYSTEM "file://{tmp_path / "dtd-secret.txt"}">', encoding="utf-8")
    docs, data = tmp_path / "docs", tmp_path / "data"
    docs.mkdir()
    names = xxe_files(docs, secret_file, dtd_file)

    done = qa(data, "ingest", str(docs), env=FAKE)

    output = done.stdout + done.stderr
    # Every file has its line (stored without the entity's text, or refused naming the file).
    for name in names:
        assert re.search(rf"^(added|failed): {re.escape(str(docs / name))}", output, re.MULTILINE), output
    assert SECRET not in output and DTD_SECRET not in output, output
    for secret in (SECRET, DTD_SECRET, "password"):
        found = qa(data, "search", secret, "--json", env=FAKE)
        assert found.returncode == 0 and secret not in found.stdout and "the password is" not in found.stdout
    # Nor anywhere in the data folder: the catalog's stored texts, the keyword index, the vector store.
    for path in data.rglob("*"):
        if path.is_file():
            stored = path.read_bytes()
            assert SECRET.encode() not in stored and DTD_SECRET.encode() not in stored, path


def corpus(folder: Path, prefix: str, files: int) -> Path:
    folder.mkdir(parents=True)
    for number in range(files):
        (folder / f"{prefix}-{number:02d}.txt").write_text(
            f"Note {number} of the {prefix} set: the keeper of canal lock {number} opens it at dawn. "
            f"Boats longer than {20 + number} metres book a {prefix} passage a day ahead.",
            encoding="utf-8",
        )
    return folder


def test_three_ingests_into_one_data_folder_at_once_all_finish_and_lose_nothing(tmp_path: Path) -> None:
    """Three writers started together, each with a folder of its own: they take turns on the writer lock,
    all exit 0, every file of every folder is stored once, and `qa sources verify` finds nothing wrong."""
    data = tmp_path / "data"
    folders = [corpus(tmp_path / name, name, 15) for name in ("north", "south", "east")]
    writers = [
        subprocess.Popen(
            [sys.executable, "-m", "assistant", "ingest", str(folder)],
            env=qa_env(data, FAKE),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for folder in folders
    ]
    outputs = [writer.communicate(timeout=600) for writer in writers]
    assert [writer.returncode for writer in writers] == [0, 0, 0], outputs
    assert sorted(out.strip().splitlines()[-1].split(" -> ")[0] for out, _ in outputs) == ["15 added"] * 3, outputs
    found = state(data)
    assert found["consistent"] and found["pending"] == [], found
    assert sorted(name for name, _, _ in found["sources"]) == sorted(
        path.name for folder in folders for path in folder.iterdir()
    )
    verified = qa(data, "sources", "verify", env=FAKE)
    assert verified.returncode == 0 and "consistent" in verified.stdout, verified.stdout + verified.stderr
    hit = qa(data, "search", "east passage lock 7", "-k", "1", env=FAKE)
    assert hit.stdout.startswith("1. east-07.txt"), hit.stdout + hit.stderr


# Runs `qa`, with one method of the store or the catalog made to SIGKILL the process right after its N-th call
# returns: crash points between the checkpoints of assistant/faults.py, reached without changing the code.
KILLER = """
import importlib, os, signal, sys
module, owner, method, after = sys.argv[1:5]
target = getattr(importlib.import_module(module), owner)
real, calls = getattr(target, method), []
def dying(*args, **kwargs):
    result = real(*args, **kwargs)
    calls.append(1)
    if len(calls) >= int(after):
        os.kill(os.getpid(), signal.SIGKILL)
    return result
setattr(target, method, dying)
from assistant.cli import main
main(sys.argv[5:], prog_name="qa")
"""
STORE, CATALOG = ("assistant.index.store", "VectorStore"), ("assistant.index.catalog", "Catalog")
# name -> (where the kill comes: class and method, after its n-th call; the command it kills)
KILLS: dict[str, tuple[tuple[str, str], str, int, str]] = {
    "remove: the catalog forgot the file, its vectors not yet deleted": (CATALOG, "remove_source", 1, "remove"),
    "remove: the vectors deleted, their pending note not yet cleared": (STORE, "delete", 1, "remove"),
    "re-sync: a third of the deleted files removed": (CATALOG, "remove_source", 10, "resync"),
    "cleanup: the vectors a killed ingest left pending, midway through deleting them": (STORE, "delete", 1, "cleanup"),
    "repair: orphan vectors deleted, missing ones not yet embedded": (STORE, "delete", 1, "repair"),
    "repair: missing vectors embedded, keyword rows not yet rebuilt": (STORE, "upsert", 1, "repair"),
}


def killed(data: Path, where: tuple[str, str], method: str, after: int, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", KILLER, where[0], where[1], method, str(after), *args],
        env=qa_env(data, FAKE),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def damage(data: Path) -> None:
    """What a crash can leave and `verify --repair` fixes: an orphan vector, a missing one, a lost keyword row."""
    import sqlite3
    from contextlib import closing

    from assistant import Settings, build_assistant
    from assistant.index.folder import catalog_file
    from assistant.index.schema import fts_table
    from assistant.models.embedder import FakeEmbedder

    assistant = build_assistant(
        Settings(data_dir=data, collection="docs", answerer="extractive"), embedder=FakeEmbedder()
    )
    chunk = assistant.catalog.records.collection_chunks("docs")[0]
    assistant.store.upsert(["0123456789abcdef-0"], FakeEmbedder().embed_batch(["stray"]), [chunk.source])
    assistant.store.delete([f"{chunk.chunk_id}-0"])
    assistant.catalog.close()
    with closing(sqlite3.connect(catalog_file(data))) as db, db:
        db.execute(
            f"DELETE FROM {fts_table('docs')} WHERE rowid = (SELECT rowid FROM chunks WHERE chunk_id=?)",
            (chunk.chunk_id,),
        )


@pytest.mark.parametrize("point", list(KILLS))
def test_a_writer_killed_between_the_crash_points_converges_on_the_next_run(tmp_path: Path, point: str) -> None:
    """SIGKILL where assistant/faults.py has no checkpoint: in a removal, a folder re-sync, the clean-up of
    what a killed ingest left, and a repair. What search can see in between is whole; the next writer (the
    same command again) leaves the collection exactly as a clean run does, and `qa sources verify` agrees."""
    where, method, after, command = KILLS[point]
    data, docs = tmp_path / "data", corpus(tmp_path / "docs", "dock", 40)
    assert qa(data, "ingest", str(docs), env=FAKE).returncode == 0
    target = str((docs / "dock-02.txt").resolve())
    if command == "remove":
        args = ["sources", "remove", target]
        expected = sorted(path.name for path in docs.iterdir() if path.name != "dock-02.txt")
        again = args
    elif command == "resync":
        for path in sorted(docs.iterdir())[:30]:
            path.unlink()
        args = again = ["ingest", str(docs)]
        expected = sorted(path.name for path in docs.iterdir())
    elif command == "cleanup":
        for path in docs.iterdir():
            path.write_text(path.read_text(encoding="utf-8") + " Changed.", encoding="utf-8")
        crashed = qa(data, "ingest", str(docs), env={**FAKE, "QA_CRASH_AT": "upsert"})
        assert crashed.returncode == -signal.SIGKILL and state(data)["pending"], crashed.stderr
        args = again = ["ingest", str(docs)]
        expected = sorted(path.name for path in docs.iterdir())
    else:
        damage(data)
        args = again = ["sources", "verify", "--repair"]
        expected = sorted(path.name for path in docs.iterdir())

    died = killed(data, where, method, after, *args)
    assert died.returncode == -signal.SIGKILL, died.stdout + died.stderr

    if command != "repair":  # (a repair starts from damage of its own making)
        between = state(data)
        assert between["keyword_gaps"] == (0, 0), between
        assert all(any(v.startswith(c + "-") for v in between["vectors"]) for c in between["chunks"]), between
    rerun = qa(data, *again, env=FAKE)
    assert rerun.returncode == 0 or (command == "remove" and "not a source" in rerun.stderr), rerun.stderr
    if command == "remove":  # the file was forgotten before the kill: the next writer deletes what it left
        assert qa(data, "ingest", str(docs / "dock-00.txt"), env=FAKE).returncode == 0
    after_state = state(data)
    assert after_state["consistent"] and after_state["pending"] == [], after_state
    assert sorted(name for name, _, _ in after_state["sources"]) == expected
    verified = qa(data, "sources", "verify", env=FAKE)
    assert verified.returncode == 0 and "consistent" in verified.stdout, verified.stdout + verified.stderr
