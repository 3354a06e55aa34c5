"""Saving uploaded files safely inside a collection's upload folder."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import InputError
from assistant.settings import Settings

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,15}")
MAX_NAME = 120
# Which upload name each saved file came from, so a new version of a file replaces it.
NAMES_FILE = ".upload-names.json"
_NAMES_LOCK = ".upload-names.lock"


def _parts(name: str) -> tuple[str, str]:
    """(safe stem, extension) of an upload name, with no directories."""
    base = Path(name.replace("\\", "/")).name
    suffix = Path(base).suffix or (base if _EXTENSION.fullmatch(base) else "")  # '.md' alone is an extension
    extension = suffix if _EXTENSION.fullmatch(suffix) else ""
    stem = base[: len(base) - len(suffix)] if extension else base
    return _SAFE_NAME.sub("_", stem).strip("._"), extension


def _join(stem: str, extension: str, tag: str = "") -> str:
    """stem[-tag]extension, the stem shortened so the whole name is at most MAX_NAME characters."""
    stem = (stem or "upload")[: MAX_NAME - len(extension) - len(tag)].rstrip("._") or "upload"
    return f"{stem}{tag}{extension}"


def safe_filename(name: str) -> str:
    """A file name with no directories and only harmless characters; the extension is kept."""
    return _join(*_parts(name))


@dataclass(frozen=True)
class SavedUpload:
    """An upload written to disk, with what the file held before (None: it is new), so that an upload
    that does not ingest can be undone and leave the folder as it was."""

    path: Path
    previous: bytes | None

    def undo(self) -> None:
        """Put back the earlier version of the file, or remove the file (and its name) when it was new."""
        if self.previous is not None:
            self.path.write_bytes(self.previous)
        else:
            forget_upload(self.path)


def save_upload(settings: Settings, name: str, data: bytes) -> Path:
    """Write an upload under <data_dir>/uploads/<collection>/ after checking its size.

    The same name always maps to the same file, so re-uploading reports 'unchanged' (same bytes) or
    'replaced' (new bytes). A different name that sanitizes to a file already there ('a b.pdf' after
    'a_b.pdf') gets a short tag of its own instead of overwriting that file.
    """
    return stage_upload(settings, name, data).path


def stage_upload(settings: Settings, name: str, data: bytes) -> SavedUpload:
    """Like ``save_upload``, keeping what the file held before so that ``undo()`` can restore it."""
    clean = safe_filename(name)
    original = Path(name.replace("\\", "/")).name or clean
    limit = settings.max_upload_mb * 1024 * 1024
    if len(data) > limit:
        raise InputError(
            f"{original} is {len(data) / 1024 / 1024:.1f} MB, over the {settings.max_upload_mb} MB limit per file; "
            "split or compress it, or raise QA_MAX_UPLOAD_MB and restart"
        )
    folder = upload_folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    tag = "-" + hashlib.sha256(original.encode("utf-8")).hexdigest()[:8]
    with _names_locked(folder):
        names = _read_names(folder)
        for candidate in (clean, _join(*_parts(name), tag=tag)):
            path = folder / candidate
            if not path.exists():
                path.write_bytes(data)
                _write_names(folder, {**names, candidate: original})
                return SavedUpload(path, None)
            if names.get(candidate, candidate) == original:  # files saved before names were kept: their own name
                previous = path.read_bytes()
                if previous != data:
                    path.write_bytes(data)
                return SavedUpload(path, previous)
            if path.read_bytes() == data:
                return SavedUpload(path, data)
    raise InputError(f"{original}: the names {clean} and {candidate} are taken by other uploads; rename the file")


def upload_folder(settings: Settings) -> Path:
    """Where the uploads of the settings' collection are kept."""
    return settings.data_dir / "uploads" / settings.collection


def forget_upload(path: Path) -> None:
    """Delete an uploaded file and its entry in the folder's name list (a missing file is fine)."""
    with _names_locked(path.parent):
        path.unlink(missing_ok=True)
        names = _read_names(path.parent)
        if path.name in names:
            del names[path.name]
            _write_names(path.parent, names)


@contextmanager
def _names_locked(folder: Path) -> Iterator[None]:
    """Hold the folder's name list for a read-modify-write. Uploads are saved before the writer lock is
    taken, so two requests (threads or processes) may save into one folder at once."""
    if not folder.is_dir():  # nothing to guard, and no lock file to leave behind
        yield
        return
    with (folder / _NAMES_LOCK).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # each open() is its own lock, so threads take turns too
        yield


def _read_names(folder: Path) -> dict[str, str]:
    try:
        names = json.loads((folder / NAMES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return names if isinstance(names, dict) else {}


def _write_names(folder: Path, names: dict[str, str]) -> None:
    descriptor, temporary = tempfile.mkstemp(prefix=f"{NAMES_FILE}.", suffix=".tmp", dir=folder)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(names, indent=0, sort_keys=True))
    Path(temporary).replace(folder / NAMES_FILE)
