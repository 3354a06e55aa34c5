"""Other quantisations of the packaged model, made locally from its Q4_K_M file by llama.cpp's quantizer, once.

The packaged GGUF is Q4_K_M; llama.cpp repacks some types (Q4_0, IQ4_NL) for AVX2/AVX-512 at load, and
8-bit weights read prompts fast on CPUs with VNNI. The requantised file is written beside the packaged
one in ``settings.resolved_models_dir`` under a temporary name, renamed when whole, and a small marker
remembers its size, mtime and hash (the verify-once pattern of assistant/models/model_files.py), so later
uses skip the work. Needs llama-cpp-python (assistant/models/install/llama_build.py) for ``llama_model_quantize``.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import tempfile
from pathlib import Path

from assistant.errors import ModelError
from assistant.models.llm import llama_cpp_problem
from assistant.models.model_files import MODEL_FILE_NAME, MODEL_SHA256, resolve_model_path
from assistant.settings import Settings

QUANTS = ("Q4_0", "IQ4_NL", "Q8_0")
_CHUNK = 8 * 1024 * 1024


def requantised_path(settings: Settings, quant: str) -> Path:
    """Where the ``quant`` copy of the packaged model lives."""
    return settings.models.resolved_dir / MODEL_FILE_NAME.replace("q4_k_m", f"{quant.lower()}-from-q4_k_m")


def _marker(target: Path) -> Path:
    return target.with_name(f"{target.name}.verified.json")


def _verified(target: Path, quant: str) -> bool:
    try:
        recorded = json.loads(_marker(target).read_text())
        stat = target.stat()
    except (OSError, ValueError):
        return False
    return bool(
        recorded.get("source_sha256") == MODEL_SHA256
        and recorded.get("quant") == quant
        and recorded.get("size") == stat.st_size
        and recorded.get("mtime_ns") == stat.st_mtime_ns
    )


def requantised_model(settings: Settings, quant: str) -> Path:
    """The packaged model requantised to ``quant`` (made on first use, about a minute on two cores)."""
    if quant not in QUANTS:
        raise ModelError(f"no requantisation to {quant!r}; choose one of: {', '.join(QUANTS)}")
    if settings.llm.model_path is not None:
        raise ModelError("requantised copies are made of the packaged model only (QA_LLM_MODEL_PATH is set)")
    target = requantised_path(settings, quant)
    if target.is_file() and _verified(target, quant):
        return target
    problem = llama_cpp_problem()
    if problem:
        raise ModelError(f"requantising needs llama-cpp-python: {problem}")
    import logging

    import llama_cpp

    quiet = logging.getLogger("llama-cpp-python")  # llama.cpp's log lines go through it
    if quiet.level == logging.NOTSET:
        quiet.setLevel(logging.ERROR)
    source = resolve_model_path(settings)
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{quant}")
    params.allow_requantize = True
    params.nthread = settings.llm.threads
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(handle)
    try:
        if llama_cpp.llama_model_quantize(str(source).encode(), temporary.encode(), ctypes.byref(params)) != 0:
            raise ModelError(f"llama.cpp could not requantise {source} to {quant}")
        digest = hashlib.sha256()
        with open(temporary, "rb") as made:
            while block := made.read(_CHUNK):
                digest.update(block)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    stat = target.stat()
    _marker(target).write_text(
        json.dumps(
            {
                "source_sha256": MODEL_SHA256,
                "quant": quant,
                "sha256": digest.hexdigest(),
                "size": stat.st_size,
                "mtime_ns": stat.st_mtime_ns,
            }
        )
    )
    return target
