"""The threads a worker sends messages and places calls from, and which claimed rows they hold.

The dispatcher and the dialer each claim due rows in their own loop and hand them to a
`WorkPool`: at most `threads` run at once and as many wait their turn, so a loop claims only
what there is room for (`room`). The rows handed over and not finished are `held`: at each
heartbeat the loop renews their claims and gives back any other claim of its own, which this
worker lost track of. A row's work that fails unexpectedly is logged and the pool goes on; the
row is no longer held, so the next heartbeat gives its claim back (or, when its request may
have gone out, marks it interrupted).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger(__name__)


class WorkPool:
    """A pool of threads working on claimed rows, each known by its id."""

    def __init__(
        self, threads: int, name: str, initializer: Callable[[], None] | None = None
    ) -> None:
        self.threads = threads
        self._executor = ThreadPoolExecutor(
            threads, thread_name_prefix=name, initializer=initializer
        )
        self._places = threading.BoundedSemaphore(threads * 2)  # running and waiting
        self._held: set[int] = set()
        self._lock = threading.Lock()
        self._freed = threading.Event()

    def room(self, most: int) -> int:
        """How many rows could be handed over now, up to `most`."""
        free = 0
        while free < most and self._places.acquire(blocking=False):
            free += 1
        for _ in range(free):
            self._places.release()
        return free

    def held(self) -> set[int]:
        """The ids handed over and not finished."""
        with self._lock:
            return set(self._held)

    def hand_over(self, work: Iterable[tuple[int, Callable[[], None]]], what: str) -> None:
        """Run each (row id, work) on the threads; `what` is said of a row in the log.

        Call it from the thread that claims and beats: every id is held before this returns,
        so a heartbeat never sees a claim that is neither held nor given back.
        """
        work = list(work)
        with self._lock:
            self._held.update(row_id for row_id, _ in work)
        for row_id, job in work:
            self._places.acquire()
            self._executor.submit(self._run, row_id, job, what)

    def _run(self, row_id: int, job: Callable[[], None], what: str) -> None:
        try:
            job()
        except Exception:  # the database went away, or a bug: the pool must go on
            log.exception("%s %s failed unexpectedly", what, row_id)
        finally:
            with self._lock:
                self._held.discard(row_id)
            self._places.release()
            self._freed.set()

    def submit(self, job: Callable[[], None]) -> Future:
        """Run a job that is no row's on a thread (e.g. to start every thread at once)."""
        return self._executor.submit(job)

    def wait_for_room(self, timeout: float) -> None:
        """Wait until some row's work finishes, or `timeout` seconds."""
        self._freed.wait(timeout)
        self._freed.clear()

    def drain(self, timeout: float) -> None:
        """Wait until every row handed over has finished (for tests and shutdown)."""
        taken = sum(1 for _ in range(self.threads * 2) if self._places.acquire(timeout=timeout))
        for _ in range(taken):
            self._places.release()

    def shutdown(self) -> None:
        """Wait for the work running and waiting, then end the threads."""
        self._executor.shutdown(wait=True)
