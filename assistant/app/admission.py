"""Back-pressure for answers: a bounded number of chat requests in progress, the rest told when to retry.

The local model writes one answer at a time; without a bound every extra request waits in memory for
all those before it (six at once waited up to 19 s each). Here at most ``1 + waiting`` requests are
admitted; one more is refused at once with ``Busy``, which the HTTP service turns into 503 + Retry-After.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

from assistant.errors import AssistantError

# Seconds suggested when no answer has been timed yet: about one local-model answer on 2 cores.
_FIRST_GUESS_S = 10.0


class Busy(AssistantError):  # noqa: N818 - read as `admission.Busy` at its call sites
    """Every place in the answer queue is taken; ``retry_after_s`` is when one is likely free."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class AnswerQueue:
    """Admits up to ``1 + waiting`` answers at once. With ``one_at_a_time`` (the in-process model) admitted
    answers also take turns, so each one's model figures (token counts) are its own."""

    def __init__(self, waiting: int, one_at_a_time: bool) -> None:
        self.capacity = waiting + 1
        self._admitted = 0
        self._lock = threading.Lock()
        self._turn = threading.Semaphore(1) if one_at_a_time else None
        self._recent_s: deque[float] = deque(maxlen=20)

    def admit(self) -> Ticket:
        """A ticket for one answer, or Busy when the queue is full."""
        with self._lock:
            if self._admitted >= self.capacity:
                wait = self._retry_after_s()
                raise Busy(
                    f"the assistant is busy: {self._admitted} answers are being written or waiting "
                    f"(QA_ANSWER_QUEUE allows {self.capacity - 1} to wait); retry in {wait} s",
                    wait,
                )
            self._admitted += 1
        return Ticket(self)

    def _retry_after_s(self) -> int:
        typical = sum(self._recent_s) / len(self._recent_s) if self._recent_s else _FIRST_GUESS_S
        ahead = self._admitted if self._turn is not None else 1
        return max(1, min(300, math.ceil(typical * ahead)))

    def _done(self, seconds: float | None) -> None:
        with self._lock:
            self._admitted -= 1
            if seconds is not None:
                self._recent_s.append(seconds)


class Ticket:
    """One admitted answer: ``wait_turn()`` before writing (blocks), ``release()`` when done (idempotent,
    from any thread, so a stream can give its place back wherever it ends)."""

    def __init__(self, queue: AnswerQueue) -> None:
        self._queue = queue
        self._started: float | None = None
        self._released = False
        self._lock = threading.Lock()

    def wait_turn(self) -> None:
        """Block until this answer may be written."""
        turn = self._queue._turn
        if turn is not None:
            turn.acquire()
        with self._lock:
            if self._released:  # given up while waiting (a client that went away): pass the turn on
                if turn is not None:
                    turn.release()
                return
            self._started = time.monotonic()

    def release(self) -> None:
        """Give the place (and the turn) back."""
        with self._lock:
            if self._released:
                return
            self._released = True
            started = self._started
        if started is not None and self._queue._turn is not None:
            self._queue._turn.release()
        self._queue._done(time.monotonic() - started if started is not None else None)
