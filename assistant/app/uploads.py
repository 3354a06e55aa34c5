"""Saving uploaded files safely inside a collection's upload folder.

An upload request is first staged in a folder of its own (``<data_dir>/uploads/.staging/<id>/``, held by a file
lock while the request lives), so two requests never write the same file. Its files are moved into the
collection's folder only while that folder's lock is held, ingested there, and put back as they were when they
do not ingest: one request's undo never touches another request's file. A staging folder whose lock is free
belongs to a request that died (a killed server); ``recover_staged`` finishes or undoes what it left.
"""

from __future__ import annotations

import fcntl
import filecmp
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

from assistant.errors import InputError
from assistant.settings import Settings

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,15}")
MAX_NAME = 120
# Which upload name each saved file came from, so a new version of a file replaces it.
NAMES_FILE = ".upload-names.json"
_NAMES_LOCK = ".upload-names.lock"
STAGING = ".staging"
_STAGING_LOCK = ".lock"
_MANIFEST = "manifest.json"
# A staging folder younger than this without its lock file may be one being made right now.
_YOUNG_S = 60.0
_MB = 1024 * 1024


class UploadStore(Protocol):
    """Where stored uploads are kept beyond the receiving host's folder (assistant/app/compose.py chooses)."""

    def keep(self, collection: str, source: str, name: str, file: Path) -> None: ...

    def read(self, collection: str, source: str) -> bytes | None: ...

    def names(self, collection: str, folder: Path) -> dict[str, tuple[str, str]]: ...


class FolderUploads:
    """One machine: the upload folder of the data folder is the store, nothing more to keep."""

    def names(self, collection: str, folder: Path) -> dict[str, tuple[str, str]]:
        """Nothing beyond the folder itself, which _target reads."""
        return {}

    def keep(self, collection: str, source: str, name: str, file: Path) -> None:
        """Nothing (the file is not even read): it is in the collection's upload folder already."""

    def read(self, collection: str, source: str) -> bytes | None:
        """The file's bytes from the folder, or None when it is gone."""
        try:
            return Path(source).read_bytes()
        except OSError:
            return None


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


def original_name(name: str) -> str:
    """The name as the user knows it (no directories), for messages and the name list."""
    return Path(name.replace("\\", "/")).name or safe_filename(name)


def too_large(name: str, size: int, settings: Settings) -> str:
    """The refusal of a file over ``max_upload_mb``, with its real size."""
    return (
        f"{original_name(name)} is {size / _MB:.1f} MB, over the {settings.server.max_upload_mb} MB limit per file; "
        "split or compress it, or raise QA_MAX_UPLOAD_MB and restart"
    )


def _target(
    folder: Path,
    name: str,
    same_bytes: Callable[[Path], bool],
    elsewhere: Mapping[str, tuple[str, str]] | None = None,
    digest: str = "",
) -> tuple[Path, bool]:
    """Where an upload called ``name`` goes in ``folder`` and whether a file is there already (the folder's lock
    held): its own earlier version, a file with the same bytes, or a free name. ``elsewhere`` are the files
    other hosts stored under this folder's path (file name -> (upload name, SHA-256)): a name one of them took
    for another upload is not free here either."""
    clean = safe_filename(name)
    original = original_name(name)
    tag = "-" + hashlib.sha256(original.encode("utf-8")).hexdigest()[:8]
    names = _read_names(folder)
    candidate = clean
    for candidate in (clean, _join(*_parts(name), tag=tag)):
        path = folder / candidate
        other = (elsewhere or {}).get(candidate)
        if not path.exists():
            if other is None or other[0] == original or other[1] == digest:
                return path, False
            continue
        if names.get(candidate, candidate) == original:  # files saved before names were kept: their own name
            return path, True
        if same_bytes(path):
            return path, True
    raise InputError(f"{original}: the names {clean} and {candidate} are taken by other uploads; rename the file")


def upload_folder(settings: Settings) -> Path:
    """Where the uploads of the settings' collection are kept."""
    return settings.storage.data_dir / "uploads" / settings.storage.collection


def forget_upload(path: Path) -> None:
    """Delete an uploaded file and its entry in the folder's name list (a missing file is fine)."""
    with folder_locked(path.parent):
        _forget(path)


def _forget(path: Path) -> None:
    path.unlink(missing_ok=True)
    names = _read_names(path.parent)
    if path.name in names:
        del names[path.name]
        _write_names(path.parent, names)


@contextmanager
def folder_locked(folder: Path) -> Iterator[None]:
    """Hold an upload folder for a change: two requests (threads or processes) take turns on its files and name
    list. Each open() is its own lock, so threads of one process take turns too; not re-entrant."""
    if not folder.is_dir():  # nothing to guard, and no lock file to leave behind
        yield
        return
    with (folder / _NAMES_LOCK).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
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


@dataclass
class StagedFile:
    """One file of a request: its name as sent, its bytes in the request's staging folder (None when it was
    refused while it arrived, ``problem`` saying why) and its size."""

    name: str
    path: Path | None
    size: int = 0
    problem: str = ""


@dataclass
class Placed:
    """A staged file moved into its collection's folder, with how to put the folder back as it was."""

    target: Path
    backup: Path | None  # the earlier version, kept in the staging folder until the new one is stored
    new: bool  # no file was there before
    name: str = ""  # the upload's name as sent

    def undo(self) -> None:
        """Put back the earlier version, or remove the file (and its name) when it was new. The folder's lock
        is held."""
        if self.backup is not None and self.backup.exists():
            os.replace(self.backup, self.target)
        elif self.new:
            _forget(self.target)

    def keep(self) -> None:
        """The new version is stored: the earlier one goes."""
        if self.backup is not None:
            self.backup.unlink(missing_ok=True)


@dataclass
class Staging:
    """A request's own staging folder, locked while the request lives; ``discard()`` removes it."""

    folder: Path
    files: list[StagedFile] = field(default_factory=list)
    _lock: IO[str] | None = None

    @classmethod
    def create(cls, data_dir: Path) -> Staging:
        root = data_dir / "uploads" / STAGING
        root.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(dir=root))
        handle = (folder / _STAGING_LOCK).open("a")
        fcntl.flock(handle, fcntl.LOCK_EX)
        return cls(folder, _lock=handle)

    def new_file(self, name: str) -> tuple[StagedFile, IO[bytes]]:
        """A file for the next part of the request, open for writing."""
        staged = StagedFile(name, self.folder / f"{len(self.files)}.part")
        self.files.append(staged)
        return staged, staged.path.open("wb")  # type: ignore[union-attr]

    def add(self, name: str, data: bytes, settings: Settings) -> StagedFile:
        """A file whose bytes are already in memory (the web app's uploads), staged like a streamed one; a file over
        ``max_upload_mb`` is noted as refused and not written."""
        if len(data) > settings.server.max_upload_mb * _MB:
            staged = StagedFile(name, None, len(data), too_large(name, len(data), settings))
            self.files.append(staged)
            return staged
        staged, handle = self.new_file(name)
        with handle:
            handle.write(data)
        staged.size = len(data)
        return staged

    def place(
        self, settings: Settings, staged: StagedFile, placed: list[Placed], uploads: UploadStore | None = None
    ) -> Placed:
        """Move a staged file into the collection's folder (its lock held by the caller), noting first in the
        manifest what to undo should the process die before the ingest ends. ``uploads`` says which names
        other hosts took in the collection."""
        assert staged.path is not None
        folder = upload_folder(settings)
        elsewhere = uploads.names(settings.storage.collection, folder) if uploads else {}
        target, exists = _target(
            folder,
            staged.name,
            lambda path: filecmp.cmp(path, staged.path, shallow=False),  # type: ignore[arg-type]
            elsewhere,
            _sha256(staged.path) if elsewhere else "",
        )
        if any(other.target == target for other in placed):
            raise InputError(f"{original_name(staged.name)}: the request holds two files by this name; send one")
        backup = self.folder / f"{staged.path.name}.previous" if exists else None
        entry = Placed(target, backup, new=not exists, name=original_name(staged.name))
        self._write_manifest([*placed, entry])
        if backup is not None:
            try:
                os.link(target, backup)
            except OSError:  # a file system without hard links
                shutil.copy2(target, backup)
        else:
            names = _read_names(folder)
            _write_names(folder, {**names, target.name: original_name(staged.name)})
        os.replace(staged.path, target)
        return entry

    def _write_manifest(self, placed: list[Placed]) -> None:
        entries = [
            {"target": str(p.target), "backup": str(p.backup) if p.backup else None, "new": p.new} for p in placed
        ]
        (self.folder / _MANIFEST).write_text(json.dumps(entries), encoding="utf-8")

    def discard(self) -> None:
        """Remove the staging folder and release its lock."""
        shutil.rmtree(self.folder, ignore_errors=True)
        if self._lock is not None:
            self._lock.close()
            self._lock = None


def recover_staged(data_dir: Path, stored_digest: Callable[[str, str], str | None]) -> list[str]:
    """Finish what requests that died left in the staging folders: a file moved in whose ingest never committed
    is removed, or its earlier version put back; staged bytes are deleted. ``stored_digest(collection, source)``
    is the catalog's fingerprint of a file (None: not stored). Returns one line per staging folder cleaned.
    Folders of live requests (their lock held, here or in another process) are left alone."""
    root = data_dir / "uploads" / STAGING
    if not root.is_dir():
        return []
    cleaned = []
    for folder in sorted(root.iterdir()):
        try:
            if _abandoned(folder, stored_digest):
                cleaned.append(f"removed an unfinished upload ({folder.name})")
        except OSError as exc:  # another process cleaning the same folder, or a folder going away: next time
            cleaned.append(f"could not clean the unfinished upload {folder.name} yet ({exc})")
    return cleaned


def abandoned_uploads(data_dir: Path) -> list[str]:
    """The staging folders no live request holds (left by a request that died), by name; nothing is changed."""
    root = data_dir / "uploads" / STAGING
    if not root.is_dir():
        return []
    left = []
    for folder in sorted(root.iterdir()):
        try:
            handle = os.open(folder / _STAGING_LOCK, os.O_RDWR)
        except FileNotFoundError:
            if folder.is_dir() and time.time() - folder.stat().st_mtime >= _YOUNG_S:
                left.append(folder.name)
            continue
        except OSError:
            continue
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            left.append(folder.name)
        except BlockingIOError:
            pass  # a live request
        finally:
            os.close(handle)
    return left


def _abandoned(folder: Path, stored_digest: Callable[[str, str], str | None]) -> bool:
    """Undo and remove ``folder`` when no live request holds it; True when it did."""
    try:  # never created here: a lock file made now would not be the one its owner holds
        handle = os.open(folder / _STAGING_LOCK, os.O_RDWR)
    except FileNotFoundError:
        if not folder.is_dir() or time.time() - folder.stat().st_mtime < _YOUNG_S:
            return False  # being made right now, or gone
        _undo_manifest(folder, stored_digest)
        shutil.rmtree(folder)
        return True
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # a live request
        _undo_manifest(folder, stored_digest)
        shutil.rmtree(folder)
        return True
    finally:
        os.close(handle)


def _undo_manifest(folder: Path, stored_digest: Callable[[str, str], str | None]) -> None:
    try:
        entries = json.loads((folder / _MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # nothing was moved in
    for entry in entries:
        target = Path(entry["target"])
        backup = Path(entry["backup"]) if entry.get("backup") else None
        with folder_locked(target.parent):
            digest = stored_digest(target.parent.name, str(target.resolve()))
            stored = (digest or "").split(":")[0]
            if backup is not None and backup.exists():
                if not (target.exists() and stored == _sha256(target)):
                    os.replace(backup, target)  # the new version never committed: the stored one comes back
            elif entry.get("new") and target.exists() and digest is None:
                _forget(target)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_MB):
            digest.update(block)
    return digest.hexdigest()
