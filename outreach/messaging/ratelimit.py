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
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._starts: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def try_acquire(self, key: str, rate: float, take: bool = True) -> float:
        """Take a slot now and return 0, or return how many seconds to wait before trying again.

        With `take=False` it only looks: 0 means a slot is free now.
        """
        # Below one a second (a rate shared by several workers), one start per 1/rate seconds.
        limit, window = (int(rate), 1.0) if rate >= 1 else (1, 1.0 / max(rate, 1e-3))
        with self._lock:
            now = self._clock()
            starts = self._starts[key]
            while starts and starts[0] <= now - window:
                starts.popleft()
            if len(starts) < limit:
                if take:
                    starts.append(now)
                return 0.0
            return starts[0] + window - now

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
