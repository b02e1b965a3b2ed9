"""At most `rate` sends start in any one-second window."""

from outreach.messaging.ratelimit import SlidingWindowLimiter


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_no_more_than_rate_in_any_second_bursts_included():
    clock = FakeClock()
    limiter = SlidingWindowLimiter(clock)
    assert all(limiter.try_acquire("+1555", 3) == 0 for _ in range(3))
    wait = limiter.try_acquire("+1555", 3)
    assert wait == 1.0
    clock.now += 0.999
    assert limiter.try_acquire("+1555", 3) > 0  # still inside the same rolling second
    clock.now += 0.001
    assert limiter.try_acquire("+1555", 3) == 0


def test_senders_are_limited_separately():
    limiter = SlidingWindowLimiter(FakeClock())
    assert limiter.try_acquire("a", 1) == 0
    assert limiter.try_acquire("b", 1) == 0
    assert limiter.try_acquire("a", 1) > 0


def test_a_rate_below_one_spaces_the_starts_out():
    clock = FakeClock()
    limiter = SlidingWindowLimiter(clock)
    assert limiter.try_acquire("s", 0.5) == 0
    assert limiter.try_acquire("s", 0.5) == 2.0
    clock.now += 2.0
    assert limiter.try_acquire("s", 0.5) == 0
