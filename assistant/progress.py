"""Progress bars that suit where they are shown: redrawn in place on a terminal; in a pipe or a log file, whole
lines (one per step, or per 2% of a known total), so a log reads as progress instead of one endless line of
carriage returns. Every tqdm bar of the project (ingest, model assembly, evaluation, benchmarks) is made here."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from tqdm import tqdm

# In a pipe or a log, a bar with a known total prints at most about this many lines (plus its last one).
LOG_LINES = 50


class _Discard:
    """Where tqdm's own in-place drawing goes in a log: nowhere (``_LogLines`` writes whole lines itself)."""

    def write(self, _text: str) -> int:
        return 0

    def flush(self) -> None:
        return None


class _LogLines(tqdm):  # type: ignore[type-arg]
    """A tqdm bar that writes a whole line when its count moves (by 1/LOG_LINES of the total, when known) and
    once more at the end, never a carriage return; postfix changes alone print nothing."""

    def __init__(self, *, stream: TextIO, **options: Any) -> None:
        self._stream = stream
        self._shown: float | None = None
        super().__init__(None, file=_Discard(), mininterval=0, miniters=1, ascii=True, **options)

    def display(self, msg: str | None = None, pos: int | None = None) -> None:
        if msg is not None:  # tqdm clearing its line: a log has nothing to take back
            return
        closing = bool(self.disable)  # close() marks the bar disabled before its last display
        if self._shown is not None and self.n == self._shown:
            return
        if not closing and self.n == 0:
            return
        total = self.total or 0
        if (
            not closing
            and self._shown is not None
            and total
            and self.n < total
            and self.n - self._shown < total / LOG_LINES
        ):
            return
        self._shown = self.n
        self._stream.write(str(self).rstrip() + "\n")
        self._stream.flush()


def progress_bar(stream: TextIO | None = None, **options: Any) -> tqdm[Any]:
    """A tqdm bar on ``stream`` (default: stderr at the time of the call) taking tqdm's own ``options``
    (``desc``, ``unit``, ``total``...): the usual one on a terminal; in a pipe or a log, a line per step."""
    stream = stream if stream is not None else sys.stderr
    if getattr(stream, "isatty", lambda: False)():
        return tqdm(file=stream, dynamic_ncols=True, **options)
    return _LogLines(stream=stream, **options)
