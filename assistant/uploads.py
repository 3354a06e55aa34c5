"""Saving uploaded files safely inside a collection's upload folder."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from assistant.errors import InputError
from assistant.settings import Settings

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,15}")
MAX_NAME = 120
# Which upload name each saved file came from, so a new version of a file replaces it.
NAMES_FILE = ".upload-names.json"


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


def save_upload(settings: Settings, name: str, data: bytes) -> Path:
    """Write an upload under <data_dir>/uploads/<collection>/ after checking its size.

    The same name always maps to the same file, so re-uploading reports 'unchanged' (same bytes) or
    'replaced' (new bytes). A different name that sanitizes to a file already there ('a b.pdf' after
    'a_b.pdf') gets a short tag of its own instead of overwriting that file.
    """
    clean = safe_filename(name)
    original = Path(name.replace("\\", "/")).name or clean
    limit = settings.max_upload_mb * 1024 * 1024
    if len(data) > limit:
        raise InputError(
            f"{original} is {len(data) / 1024 / 1024:.1f} MB, over the {settings.max_upload_mb} MB limit per file; "
            "split or compress it, or raise QA_MAX_UPLOAD_MB and restart"
        )
    folder = settings.data_dir / "uploads" / settings.collection
    folder.mkdir(parents=True, exist_ok=True)
    names = _read_names(folder)
    tag = "-" + hashlib.sha256(original.encode("utf-8")).hexdigest()[:8]
    for candidate in (clean, _join(*_parts(name), tag=tag)):
        path = folder / candidate
        if not path.exists():
            path.write_bytes(data)
            _write_names(folder, {**names, candidate: original})
            return path
        if names.get(candidate, candidate) == original:  # files saved before names were kept: their own name
            if path.read_bytes() != data:
                path.write_bytes(data)
            return path
        if path.read_bytes() == data:
            return path
    raise InputError(f"{original}: the names {clean} and {candidate} are taken by other uploads; rename the file")


def _read_names(folder: Path) -> dict[str, str]:
    try:
        names = json.loads((folder / NAMES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return names if isinstance(names, dict) else {}


def _write_names(folder: Path, names: dict[str, str]) -> None:
    temporary = folder / f"{NAMES_FILE}.{os.getpid()}.tmp"
    temporary.write_text(json.dumps(names, indent=0, sort_keys=True), encoding="utf-8")
    temporary.replace(folder / NAMES_FILE)
