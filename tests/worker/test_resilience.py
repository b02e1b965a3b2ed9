"""The step every worker loop runs its work as: backoff, health, and retrying a record."""

from __future__ import annotations

import logging
import threading

import pytest

from outreach.resilience import Backoff, Health, Step, keep_trying


@pytest.fixture(autouse=True)
def _logged(monkeypatch):
    # Running the migrations (alembic's fileConfig) disables the loggers that exist by then.
    monkeypatch.setattr(logging.getLogger("outreach.resilience"), "disabled", False)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_backoff_doubles_from_one_second_to_thirty_and_starts_again_after_a_success():
    backoff = Backoff()
    assert [backoff.next() for _ in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    backoff.reset()
    assert backoff.next() == 1


def test_a_failing_step_is_logged_backed_off_and_healthy_again_after_one_success(caplog):
    clock = FakeClock()
    health = Health(clock)
    step = Step("claiming messages", health, clock=clock)
    calls = []

    def broken():
        calls.append(clock.now)
        raise ConnectionError("database is away")

    assert step.run(broken) is None  # logged, never raised
    assert "claiming messages failed; trying again in 1 s" in caplog.text
    assert step.run(broken) is None and len(calls) == 1  # backing off: not tried
    clock.now += 1
    assert step.run(broken) is None and len(calls) == 2
    assert step.retry_in() == 2
    clock.now += 2
    assert step.run(lambda: 7) == 7
    assert step.retry_in() == 0
    assert "claiming messages works again after 3 s" in caplog.text
    clock.now += 1
    step.run(broken)
    assert step.retry_in() == 1  # the backoff started again


def test_health_names_the_steps_that_have_not_succeeded_for_too_long():
    clock = FakeClock()
    health = Health(clock)
    failing = Step("heartbeat", health, clock=clock)
    working = Step("campaign tick", health, clock=clock)
    for _ in range(10):
        clock.now += 31
        failing.run(lambda: 1 / 0)
        working.run(lambda: None)
    assert health.stalled(300) == {"heartbeat": 310}
    health.restart()
    assert health.stalled(300) == {}


def test_keep_trying_retries_until_the_work_succeeds_or_the_worker_stops():
    clock = FakeClock()
    stop = threading.Event()
    outcomes = iter([ConnectionError("away"), ConnectionError("away"), None])
    waits = []

    class Advancing(threading.Event):
        def wait(self, timeout=None):
            waits.append(timeout)
            clock.now += timeout
            return stop.is_set()

    def record():
        outcome = next(outcomes)
        if outcome is not None:
            raise outcome

    assert keep_trying("recording", record, Advancing(), 300, clock=clock)
    assert waits == [1, 2]

    stop.set()
    assert not keep_trying("recording", lambda: 1 / 0, Advancing(), 300, clock=clock)


def test_keep_trying_gives_up_after_its_limit():
    clock = FakeClock()
    stopped = threading.Event()

    class Advancing(threading.Event):
        def wait(self, timeout=None):
            clock.now += timeout
            return False

    tries = []

    def broken():
        tries.append(clock.now)
        raise ConnectionError("away")

    assert not keep_trying("recording", broken, Advancing(), 10, clock=clock)
    assert [t - 1000 for t in tries] == [0, 1, 3, 7]  # the next wait would pass 10 s
    assert not stopped.is_set()
