"""The read system prompt, kept on disk: a fresh process loads llama.cpp's state for it instead of reading it.

Every answer prompt starts with the same system message (~300 tokens). A long-running process reads it once
and reuses it from memory; a `qa ask` starts cold every time and would spend seconds of its budget reading
it again. llama.cpp can save the context state after a prompt prefix (its session files: the KV cache and
the tokens) and load it later; the file is a few MB. Files are named by the model, the runtime version, the
context settings and the prefix tokens, so a changed prompt or model never loads a stale state.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# Prefixes shorter than this are read faster than a file is opened.
MIN_PREFIX_TOKENS = 32
# States kept per folder; the oldest go first (a prompt edit leaves one stale file behind).
KEEP = 8


class PrefixStates:
    """Saved llama.cpp states of prompt prefixes for one loaded model and context (llama-cpp-python)."""

    def __init__(self, folder: Path, identity: str) -> None:
        self._folder = folder
        self._identity = identity

    def _path(self, tokens: Sequence[int]) -> Path:
        digest = hashlib.sha256(self._identity.encode())
        digest.update(",".join(map(str, tokens)).encode())
        return self._folder / f"prefix-{digest.hexdigest()[:32]}.state"

    def restore(self, llama: Any, tokens: Sequence[int]) -> bool:
        """Load the saved state of ``tokens`` into ``llama``'s context; False (context reset) when there is none
        or it does not load."""
        import llama_cpp

        path = self._path(tokens)
        if not path.is_file():
            return False
        read = (llama_cpp.llama_token * len(tokens))()
        count = ctypes.c_size_t(0)
        loaded = llama_cpp.llama_state_load_file(llama.ctx, str(path).encode(), read, len(tokens), ctypes.byref(count))
        if not loaded or list(read[: count.value]) != list(tokens):
            llama.reset()
            path.unlink(missing_ok=True)
            return False
        llama.input_ids[: len(tokens)] = tokens
        llama.n_tokens = len(tokens)
        os.utime(path)  # recently used: kept by _prune
        return True

    def save(self, llama: Any, tokens: Sequence[int]) -> None:
        """Save ``llama``'s context, which holds exactly ``tokens``, for later processes (best effort)."""
        import llama_cpp

        try:
            self._folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".prefix-", suffix=".tmp", dir=self._folder)
            os.close(handle)
            array = (llama_cpp.llama_token * len(tokens))(*tokens)
            if llama_cpp.llama_state_save_file(llama.ctx, temporary.encode(), array, len(tokens)):
                os.replace(temporary, self._path(tokens))
            else:
                os.unlink(temporary)
            self._prune()
        except OSError:
            pass  # a read-only cache folder only costs the next process the reading

    def _prune(self) -> None:
        states = sorted(self._folder.glob("prefix-*.state"), key=lambda path: path.stat().st_mtime, reverse=True)
        for stale in states[KEEP:]:
            stale.unlink(missing_ok=True)


def identity(model_path: Path, n_ctx: int, flash_attn: bool) -> str:
    """What a saved state depends on besides its tokens: the model file, the runtime version, the context."""
    import llama_cpp

    stat = model_path.stat()
    return f"{llama_cpp.__version__}|{model_path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{n_ctx}|{flash_attn}"
