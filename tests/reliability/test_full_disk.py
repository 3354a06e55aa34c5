"""A real full disk (issue 26, item 1): the data folder on a 40 MB tmpfs, filled by an ingest too large for it and
by another program, and freed again. Needs root to mount; skipped with the reason otherwise."""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.conftest import qa, state

FERRY = "The harbour ferry leaves every 40 minutes from the north pier."
WORDS = (
    "tide pier lamp keeper boat rope gull quay buoy mast sail net harbour north south wind storm coast cliff".split()
)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 40 MB tmpfs mounted for the test and unmounted after it."""
    if shutil.which("mount") is None:
        pytest.skip("no mount command here; the full-disk test needs one to make a small disk")
    if os.geteuid() != 0:
        pytest.skip("mounting a 40 MB tmpfs needs root; run the reliability tests as root to include this test")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=40m", "tmpfs", str(disk)], capture_output=True, text=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}); a container may forbid it")
    try:
        yield disk
    finally:
        if subprocess.run(["umount", str(disk)], capture_output=True, check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(disk)], capture_output=True, check=False)


def _notes(folder: Path, count: int, first: int = 0) -> Path:
    """``count`` files of 20 sentences each."""
    folder.mkdir(parents=True, exist_ok=True)
    pick = random.Random(first)
    for number in range(first, first + count):
        sentences = (
            " ".join(pick.choice(WORDS) for _ in range(12)).capitalize() + f" note {number}." for _ in range(20)
        )
        (folder / f"note{number:03}.txt").write_text(" ".join(sentences), encoding="utf-8")
    return folder


def _fill(disk: Path) -> Path:
    """Write a file until the disk refuses more, as another program filling the disk would."""
    filler = disk / "filler.bin"
    handle = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        for size in (2**20, 4096, 1):  # big blocks, then the last pieces
            block = b"x" * size
            with contextlib.suppress(OSError):
                while True:
                    os.write(handle, block)
    finally:
        os.close(handle)
    return filler


def _clean(result: subprocess.CompletedProcess[str]) -> None:
    """A command that fails says so in its own words: never a traceback or an 'unexpected error'."""
    assert "Traceback" not in result.stderr and "unexpected error" not in result.stderr, result.stderr[-2000:]


def _readable_or_says_full(result: subprocess.CompletedProcess[str], expected: str) -> None:
    """A read on a full disk gives its answer, or one line saying the disk is full and what to do (the catalog
    opens read-only; Chroma's embedded store cannot open)."""
    _clean(result)
    if result.returncode == 0:
        assert expected in result.stdout, result.stdout
    else:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "is full" in lines[0] and "free some space and try again" in lines[0], lines


def test_a_full_disk_never_damages_a_collection_and_all_works_again_once_space_is_freed(
    small_disk: Path, tmp_path: Path
) -> None:
    data = small_disk / "data"
    docs = _notes(tmp_path / "docs", 200)
    (docs / "ferry.txt").write_text(FERRY, encoding="utf-8")
    first = qa(data, "ingest", str(docs))
    assert first.returncode == 0 and "201 added" in first.stdout, first.stdout + first.stderr
    before = state(data)

    # An ingest far larger than the disk: refused before anything of it is written, the rest stays whole.
    more = tmp_path / "more"
    more.mkdir()
    pick = random.Random(7)
    logbook = (" ".join(pick.choice(WORDS) for _ in range(12)).capitalize() + f" entry {n}." for n in range(60_000))
    (more / "logbook.txt").write_text(" ".join(logbook), encoding="utf-8")
    too_big = qa(data, "ingest", str(more))
    assert too_big.returncode == 1, too_big.stdout + too_big.stderr
    assert "logbook.txt: not stored, the disk holding the data folder is full" in too_big.stderr, too_big.stderr
    assert "free some space and ingest again" in too_big.stderr
    _clean(too_big)
    found = qa(data, "search", "How often does the harbour ferry leave?")
    assert found.returncode == 0 and "40 minutes" in found.stdout, found.stdout + found.stderr
    assert state(data) == before

    # Another program fills the disk: searching and checking still work, an ingest fails each file cleanly,
    # in the collection that exists and in a new one.
    tides = tmp_path / "tides"
    tides.mkdir()
    (tides / "tides.txt").write_text("High tide at the north pier is at 06:40 on Sundays.", encoding="utf-8")
    filler = _fill(small_disk)
    # Chroma cannot open on a full disk; search answers from the keyword index and says why.
    searched = qa(data, "search", "How often does the harbour ferry leave?")
    _clean(searched)
    assert searched.returncode == 0 and "40 minutes" in searched.stdout, searched.stdout + searched.stderr
    assert "searching by keywords alone" in searched.stderr, searched.stderr
    _readable_or_says_full(qa(data, "sources", "verify"), "consistent")
    refused = qa(data, "ingest", str(tides))
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "tides.txt: not stored, the disk holding the data folder is full" in refused.stderr, refused.stderr
    _clean(refused)
    fresh = qa(data, "ingest", str(tides), "--collection", "fresh")
    assert fresh.returncode == 1 and "tides.txt: not stored, the disk holding the data folder is full" in fresh.stderr
    _clean(fresh)
    _clean(qa(data, "search", "When is high tide?", "--collection", "fresh"))

    # Space freed: everything works, and what was stored before is all there.
    filler.unlink()
    again = qa(data, "ingest", str(tides))
    assert again.returncode == 0 and "1 added" in again.stdout, again.stdout + again.stderr
    assert "06:40" in qa(data, "search", "When is high tide at the north pier?").stdout
    assert "40 minutes" in qa(data, "search", "How often does the harbour ferry leave?").stdout
    verified = qa(data, "sources", "verify")
    assert verified.returncode == 0 and "consistent" in verified.stdout, verified.stdout + verified.stderr
    after = state(data)
    assert set(before["chunks"]) < set(after["chunks"]) and set(before["vectors"]) < set(after["vectors"])
    assert set(before["sources"]) < set(after["sources"])
    assert qa(data, "ingest", str(tides), "--collection", "fresh").returncode == 0


def test_a_vector_index_cut_short_is_rebuilt_by_repair_from_the_stored_text(tmp_path: Path) -> None:
    """Chroma's own index files cut in half, as a full disk or a crash mid-write leaves them: search says what
    to run, and `qa sources verify --repair` rebuilds the index from the catalog, without the documents."""
    data = tmp_path / "data"
    docs = _notes(tmp_path / "docs", 100)
    (docs / "ferry.txt").write_text(FERRY, encoding="utf-8")
    assert qa(data, "ingest", str(docs)).returncode == 0
    before = state(data)
    damaged = [
        path for path in (data / "chroma").glob("*/*") if path.name in ("index_metadata.pickle", "data_level0.bin")
    ]
    assert len(damaged) == 2, list((data / "chroma").rglob("*"))
    for path in damaged:
        os.truncate(path, path.stat().st_size // 2)
    shutil.rmtree(docs)  # the rebuild needs only the data folder

    broken = qa(data, "search", "How often does the harbour ferry leave?")
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "cannot be used" in broken.stderr and "qa sources verify --repair" in broken.stderr, broken.stderr
    _clean(broken)
    found = qa(data, "sources", "verify")
    assert found.returncode == 1 and "the vector index cannot be read" in found.stdout, found.stdout + found.stderr
    repaired = qa(data, "sources", "verify", "--repair")
    assert repaired.returncode == 0 and "after repair" in repaired.stdout, repaired.stdout + repaired.stderr
    assert "consistent" in repaired.stdout.splitlines()[-1]
    assert "40 minutes" in qa(data, "search", "How often does the harbour ferry leave?").stdout
    assert state(data) == before  # the same chunks and vector ids as before the damage
