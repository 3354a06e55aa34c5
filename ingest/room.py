"""Is there room on the data folder's disk for a write? Checked before each batch an ingest or a repair stores,
so that a full disk stops it cleanly between writes instead of in the middle of one: Chroma's embedded index
writes its metadata file in place, and a write the disk cut short left a collection nothing could read.

The estimate is generous (measured: 60,000 sentence vectors of 384 dimensions took 180 MB of Chroma at their
peak, about 3,000 bytes each, counted here as 4,096; the catalog took 2.5 bytes per character of a file's text
and its chunks, with the keyword index, counted as 6), plus a reserve for Chroma to grow and rewrite its index
files."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from assistant.errors import DiskFullError

# Bytes of Chroma per dimension of a stored vector, and its fixed part (ids, metadata, graph links).
BYTES_PER_DIMENSION = 8
BYTES_PER_VECTOR = 1024
# Catalog bytes per character of a document's text and of its chunks' text (records, chunks, keyword index).
BYTES_PER_TEXT_CHAR = 6
# Always left free: SQLite journals, Chroma's metadata rewrites, and room for the user's other programs.
RESERVE_BYTES = 8 * 2**20
# Part of the embedded store's size kept free besides: a growing index is resized by about a fifth.
RESERVE_SHARE = 0.25


def needed_bytes(vectors: int, dimension: int, text_chars: int, store_bytes: int, server: str | None = None) -> int:
    """About how many bytes storing ``vectors`` and ``text_chars`` of text needs, with the reserve; the
    embedded store now takes ``store_bytes``. Vectors count only for the embedded store: a Chroma
    ``server`` keeps them on its own disk."""
    need = RESERVE_BYTES + text_chars * BYTES_PER_TEXT_CHAR
    if server is None:
        need += vectors * (dimension * BYTES_PER_DIMENSION + BYTES_PER_VECTOR) + int(RESERVE_SHARE * store_bytes)
    return need


def check_room(data_dir: Path, need: int, then: str = "ingest again (what was stored before is intact)") -> None:
    """DiskFullError when the disk holding ``data_dir`` has less than ``need`` bytes free (the message ends "free
    some space and ``then``")."""
    free = free_bytes(data_dir)
    if free < need:
        detail = f"{_mb(free)} MB free of the {_mb(need)} MB needed"
        raise DiskFullError(
            f"not stored, the disk holding the data folder {data_dir} is full ({detail}); free some space and {then}",
            detail=detail,
        )


def free_bytes(folder: Path) -> int:
    """Bytes an unprivileged process may still write on the disk holding ``folder`` (or its nearest parent)."""
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    stats = os.statvfs(folder)
    return stats.f_bavail * stats.f_frsize


def store_size(folder: Path) -> int:
    """Bytes the files under ``folder`` take on disk (0 when it does not exist)."""
    total = 0
    for root, _, names in os.walk(folder):
        for name in names:
            with contextlib.suppress(OSError):  # a file removed meanwhile
                total += os.stat(os.path.join(root, name), follow_symlinks=False).st_blocks * 512
    return total


def _mb(size: int) -> str:
    return f"{size / 2**20:.1f}"
