"""Background loops that outlive their database: steps run with capped backoff, and their health.

Every loop of the worker (the campaign tick, the dispatcher, the heartbeat with its recovery)
runs its work as a `Step`. Any exception from the database or the provider is logged, and the
step is not tried again until its backoff has passed (1 s doubling to 30 s; one success resets
it). Each try opens its own session, which is rolled back and closed when the try fails. A
connection broken by a database restart fails its first use; SQLAlchemy then invalidates it and
every connection of its generation in the pool, so the next try reconnects.

`Health` notes when each step last succeeded. The worker's watchdog gives up on the process when
a step has not succeeded for `WORKER_GIVE_UP_SECONDS`, so a supervisor restarts it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
Clock = Callable[[], float]


class Backoff:
    """Delays between tries: `first` seconds, doubling up to `cap`; `reset` after a success."""

    def __init__(self, first: float = 1.0, cap: float = 30.0) -> None:
        self.first = first
        self.cap = cap
        self._delay = first

    def next(self) -> float:
        """The delay before the next try; the one after it is twice as long, up to the cap."""
        delay = self._delay
        self._delay = min(self._delay * 2, self.cap)
        return delay

    def reset(self) -> None:
        """Start again from `first`."""
        self._delay = self.first


class Health:
    """When each named step last succeeded (monotonic seconds)."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._last_ok: dict[str, float] = {}
        self._lock = threading.Lock()

    def ok(self, name: str) -> None:
        """Note that `name` succeeded just now (or, when new, that it starts being watched)."""
        with self._lock:
            self._last_ok[name] = self._clock()

    def restart(self) -> None:
        """Count every step as healthy from now (when the loops start)."""
        with self._lock:
            now = self._clock()
            self._last_ok = dict.fromkeys(self._last_ok, now)

    def stalled(self, limit: float) -> dict[str, float]:
        """The steps that have not succeeded for more than `limit` seconds, and for how long."""
        with self._lock:
            now = self._clock()
            return {n: now - t for n, t in self._last_ok.items() if now - t > limit}


class Step:
    """One step of a background loop: a failure is logged and backed off, never raised."""

    def __init__(
        self,
        name: str,
        health: Health | None = None,
        backoff: Backoff | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.name = name
        self.health = health if health is not None else Health(clock)
        self.backoff = backoff or Backoff()
        self._clock = clock
        self._retry_at = 0.0
        self._failing_since: float | None = None
        self.health.ok(name)

    def run(self, work: Callable[[], T]) -> T | None:
        """`work()`'s result; None when it failed (logged) or the step is still backing off."""
        now = self._clock()
        if now < self._retry_at:
            return None
        try:
            result = work()
        except Exception as exc:
            self._failed(exc, now)
            return None
        self._succeeded(now)
        return result

    def retry_in(self) -> float:
        """Seconds until the step may be tried again (0 when it is healthy)."""
        return max(0.0, self._retry_at - self._clock())

    def _failed(self, exc: Exception, now: float) -> None:
        delay = self.backoff.next()
        self._retry_at = now + delay
        if self._failing_since is None:
            self._failing_since = now
            log.exception("%s failed; trying again in %.0f s", self.name, delay)
        else:
            log.warning(
                "%s still failing after %.0f s (%s: %s); trying again in %.0f s",
                self.name,
                now - self._failing_since,
                type(exc).__name__,
                str(exc).strip().splitlines()[0] if str(exc).strip() else "",
                delay,
            )

    def _succeeded(self, now: float) -> None:
        if self._failing_since is not None:
            log.warning("%s works again after %.0f s", self.name, now - self._failing_since)
        self._failing_since = None
        self._retry_at = 0.0
        self.backoff.reset()
        self.health.ok(self.name)


def keep_trying(
    name: str,
    work: Callable[[], object],
    stop: threading.Event,
    give_up_after: float,
    backoff: Backoff | None = None,
    clock: Clock = time.monotonic,
) -> bool:
    """Run `work` until it succeeds (True), or `stop` is set or `give_up_after` seconds have
    passed (False), backing off between tries; for work that must not be lost, such as
    recording what the provider answered."""
    step = Step(name, backoff=backoff, clock=clock)
    deadline = clock() + give_up_after
    while True:
        ran = step.run(lambda: work() or True)
        if ran:
            return True
        wait = step.retry_in()
        if clock() + wait > deadline or stop.wait(wait):
            log.error("%s: gave up; what it records is left for recovery", name)
            return False
