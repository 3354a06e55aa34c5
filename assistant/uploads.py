"""Saving uploaded files safely inside a collection's upload folder."""

from __future__ import annotations

import re
from pathlib import Path

from assistant.errors import InputError
from assistant.settings import Settings

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(name: str) -> str:
    """A file name with no directories and only harmless characters."""
    base = Path(name.replace("\\", "/")).name
    cleaned = _SAFE_NAME.sub("_", base).strip("._") or "upload"
    return cleaned[:120]


def save_upload(settings: Settings, name: str, data: bytes) -> Path:
    """Write an upload under <data_dir>/uploads/<collection>/ after checking its size."""
    clean = safe_filename(name)
    if len(data) > settings.max_upload_mb * 1024 * 1024:
        raise InputError(f"{clean} is larger than {settings.max_upload_mb} MB; split it or raise QA_MAX_UPLOAD_MB")
    folder = settings.data_dir / "uploads" / settings.collection
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / clean
    path.write_bytes(data)
    return path
