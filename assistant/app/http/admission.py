"""Back-pressure: a bounded number of chat requests (and of writing requests) in progress, the rest told when to
retry.

The local model writes one answer at a time; without a bound every extra request waits in memory for
all those before it (six at once waited up to 19 s each). Here at most ``1 + waiting`` requests are
admitted; one more is refused at once with ``Busy``, which the HTTP service turns into 503 + Retry-After.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from assistant.errors import AssistantError

T = TypeVar("T")
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


class WriterQueue:
    """Requests that write to the data folder (uploads, removals), run one at a time on a thread of their own.

    Waiting for the data folder's writer lock (another ingest may hold it for minutes) then holds no request
    thread: health, search and models stay answered however many uploads wait. At most ``1 + waiting`` are
    admitted; one more is refused at once with ``Busy`` (503 + Retry-After). A place is taken before the
    request's body is read, so a refused upload is never read or stored.
    """

    def __init__(self, waiting: int) -> None:
        self.capacity = waiting + 1
        self._admitted = 0
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any], Place]] = queue.SimpleQueue()
        self._recent_s: deque[float] = deque(maxlen=20)
        self._worker: threading.Thread | None = None

    def reserve(self) -> Place:
        """A place in the queue, or Busy when it is full."""
        with self._lock:
            if self._admitted >= self.capacity:
                typical = sum(self._recent_s) / len(self._recent_s) if self._recent_s else _FIRST_GUESS_S
                wait = max(1, min(300, math.ceil(typical * self._admitted)))
                raise Busy(
                    f"the service is busy: {self._admitted} uploads or removals are being written or waiting for "
                    f"the data folder (QA_UPLOAD_QUEUE allows {self.capacity - 1} to wait); retry in {wait} s",
                    wait,
                )
            self._admitted += 1
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, daemon=True, name="writer-queue")
                self._worker.start()
        return Place(self)

    def _work(self) -> None:
        while True:
            job, future, place = self._jobs.get()
            started = time.monotonic()
            try:
                if future.set_running_or_notify_cancel():
                    try:
                        future.set_result(job())
                    except BaseException as exc:  # noqa: BLE001 - handed to the request that waits for it
                        future.set_exception(exc)
            finally:
                place.release(time.monotonic() - started)

    def _done(self, seconds: float | None) -> None:
        with self._lock:
            self._admitted -= 1
            if seconds is not None:
                self._recent_s.append(seconds)


class Place:
    """One admitted writer request: ``run(job)`` once to queue its work, or ``release()`` to give the place up."""

    def __init__(self, writers: WriterQueue) -> None:
        self._writers = writers
        self._released = False
        self._lock = threading.Lock()

    def run(self, job: Callable[[], T]) -> Future[T]:
        """Queue ``job`` for the writer thread; the future holds its result or its exception."""
        future: Future[T] = Future()
        self._writers._jobs.put((job, future, self))
        return future

    def release(self, seconds: float | None = None) -> None:
        """Give the place back (idempotent)."""
        with self._lock:
            if self._released:
                return
            self._released = True
        self._writers._done(seconds)
