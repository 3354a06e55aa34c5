"""Crash and pause points for the reliability tests. With ``QA_CRASH_AT=<point>`` in its environment, a
process kills itself with SIGKILL when it reaches that point, as a power cut or the OOM killer would; with
``QA_PAUSE_AT=<point>`` it says "paused at <point>" on stderr and sleeps there (``QA_PAUSE_S``, default 60),
so that a test can send it a signal at a known moment. Unset (always, outside tests) a checkpoint costs two
dictionary lookups."""

from __future__ import annotations

import os
import signal
import sys
import time

# Where an ingest can be cut short: after a file was read, after a batch was embedded, during the Chroma
# upsert, inside the catalog transaction before it commits, and after the commit before the replaced
# version's vectors are deleted. A question pauses at "retrieve", before its search.
POINTS = ("load", "embed", "upsert", "commit", "delete-old")


def checkpoint(point: str) -> None:
    """Die or pause here when the environment asks for it (see the module docstring)."""
    if os.environ.get("QA_CRASH_AT") == point:
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get("QA_PAUSE_AT") == point:
        print(f"paused at {point}", file=sys.stderr, flush=True)
        time.sleep(float(os.environ.get("QA_PAUSE_S", "60")))
