"""One writer per data directory: an ingest, a removal or a repair holds an exclusive file lock.

An embedded Chroma store and the catalog are not safe for two writing processes, and two ingests of one
folder would race on the same files. The lock is an ``flock`` on ``DATA_DIR/writer.lock``: the kernel
releases it when its holder exits, even by SIGKILL, so a crashed ingest never leaves the folder locked.
Threads of one process (the web app, the HTTP service) take turns on it too, each with its own handle.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.errors import StoreError
from assistant.index.folder import ensure_data_dir

LOCK_NAME = "writer.lock"
_POLL_S = 0.2


def _holder(path: Path) -> str:
    """Who holds the lock, as the holder wrote it ("pid 123, qa ingest docs"), or '' when unknown."""
    try:
        info = json.loads(path.read_text())
        return f"pid {info['pid']}, {info['command']}"
    except (OSError, ValueError, KeyError, TypeError):
        return ""


@contextmanager
def writer_lock(data_dir: Path, timeout_s: float, say: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the data directory's writer lock for the block, waiting up to ``timeout_s`` for another writer
    (``say`` is told once that we wait); StoreError naming the holder when it is still busy after that."""
    ensure_data_dir(data_dir)
    path = data_dir / LOCK_NAME
    handle = path.open("a+")
    try:
        deadline = time.monotonic() + timeout_s
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _holder(path)
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f"another ingest into {data_dir} ({holder or 'another process'}) is still running after "
                        f"{timeout_s:g} s; wait for it to finish, or raise QA_WRITER_TIMEOUT_S"
                    ) from None
                if say and not told:
                    say(f"waiting for another ingest into {data_dir} to finish ({holder or 'another process'})...")
                    told = True
                time.sleep(_POLL_S)
        handle.seek(0)
        handle.truncate()
        handle.write(
            json.dumps({"pid": os.getpid(), "command": " ".join(Path(sys.argv[0]).name.split() + sys.argv[1:])[:200]})
        )
        handle.flush()
        yield
    finally:
        handle.close()  # closing the descriptor releases the lock
