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


def test_reserved_places_count_until_started_or_cancelled():
    clock = FakeClock()
    limiter = SlidingWindowLimiter(clock)
    assert limiter.reserve("s", 2) and limiter.reserve("s", 2)
    assert limiter.try_acquire("s", 2, take=False) > 0  # both places held, none started yet
    limiter.cancel("s")
    assert limiter.try_acquire("s", 2, take=False) == 0
    assert limiter.reserve("s", 2)
    clock.now += 0.5
    limiter.start("s")
    limiter.start("s")
    clock.now += 0.999
    assert limiter.try_acquire("s", 2, take=False) > 0  # the starts are noted when they start
    clock.now += 0.001
    assert limiter.try_acquire("s", 2, take=False) == 0


def test_slack_lengthens_the_counted_second():
    clock = FakeClock()
    limiter = SlidingWindowLimiter(clock, slack=0.05)
    assert limiter.reserve("s", 1)
    limiter.start("s")
    clock.now += 1.0
    assert limiter.try_acquire("s", 1) > 0
    clock.now += 0.05
    assert limiter.try_acquire("s", 1) == 0
