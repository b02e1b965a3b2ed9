"""A per-sender limit on how many sends may start in any one-second window, bursts included."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable


class SlidingWindowLimiter:
    """At most `rate` starts per key in any window of one second (a sliding log, not a bucket).

    A token bucket would allow a burst of `rate` at the end of one second and another at the
    start of the next; the provider counts per rolling second, so this limiter does too.

    A sender that must do work between winning a place and starting (the dispatcher commits
    `sending` first) `reserve`s a place, then calls `start` right before the request (the log
    notes that moment) or `cancel`. Reserved places count against the limit until then, so
    waiting senders are admitted one free place at a time and none waits after reserving.

    `slack` lengthens the counted window (1 s + slack) to absorb the jitter between the noted
    start and the request leaving (thread scheduling), so no rolling second sees more than
    `rate` requests go out.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, slack: float = 0.0) -> None:
        self._clock = clock
        self._slack = slack
        self._starts: dict[str, deque[float]] = defaultdict(deque)
        self._reserved: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)

    def _window(self, rate: float) -> tuple[int, float]:
        # Below one a second (a rate shared by several workers), one start per 1/rate seconds.
        limit, window = (int(rate), 1.0) if rate >= 1 else (1, 1.0 / max(rate, 1e-3))
        return limit, window + self._slack

    def _wait_locked(self, key: str, rate: float, reserved: int = 0) -> float | None:
        """0 if a place is free now; else seconds until one may be (None: until a reservation
        is started or cancelled). Call with the lock held."""
        limit, window = self._window(rate)
        now = self._clock()
        starts = self._starts[key]
        while starts and starts[0] <= now - window:
            starts.popleft()
        if len(starts) + reserved < limit:
            return 0.0
        return starts[0] + window - now if starts else None

    def try_acquire(self, key: str, rate: float, take: bool = True) -> float:
        """Take a slot now and return 0, or return how many seconds to wait before trying again.

        With `take=False` it only looks: 0 means a slot is free now.
        """
        with self._lock:
            wait = self._wait_locked(key, rate, self._reserved[key])
            if wait == 0 and take:
                self._starts[key].append(self._clock())
            return 1.0 if wait is None else wait

    def acquire(
        self, key: str, rate: float, stop: threading.Event | None = None, take: bool = True
    ) -> bool:
        """Wait for a slot (and take it, unless `take=False`); False when `stop` was set."""
        while True:
            wait = self.try_acquire(key, rate, take)
            if wait <= 0:
                return True
            if stop is not None and stop.wait(wait):
                return False
            if stop is None:
                time.sleep(wait)

    def reserve(
        self, key: str, rate: float, stop: threading.Event | None = None, poll: float = 0.1
    ) -> bool:
        """Wait for a free place and hold it; False (holding nothing) when `stop` was set.

        Follow with `start` or `cancel`.
        """
        with self._changed:
            while True:
                if stop is not None and stop.is_set():
                    return False
                wait = self._wait_locked(key, rate, self._reserved[key])
                if wait == 0:
                    self._reserved[key] += 1
                    return True
                # Woken when a reservation ends; `poll` bounds the wait so `stop` is seen.
                self._changed.wait(poll if wait is None else min(wait, poll))

    def start(self, key: str) -> None:
        """The reserved send starts now: note it in the log."""
        with self._changed:
            self._reserved[key] -= 1
            self._starts[key].append(self._clock())

    def cancel(self, key: str) -> None:
        """The reserved send will not happen: free its place."""
        with self._changed:
            self._reserved[key] -= 1
            self._changed.notify_all()
