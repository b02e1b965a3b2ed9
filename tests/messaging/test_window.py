"""The sending window in the recipient's local time."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from outreach.messaging.window import Window, is_open, next_opening, recipient_zones

KARACHI = ZoneInfo("Asia/Karachi")  # UTC+5
DAYTIME = Window(9 * 60, 20 * 60)


def test_zone_comes_from_the_number_not_the_region():
    # A contact of a Pakistani MRC who uses a Tajik SIM is reached on Dushanbe time.
    assert recipient_zones("+992931234567", "Asia/Karachi") == (ZoneInfo("Asia/Dushanbe"),)
    assert recipient_zones("+923001234567", "Asia/Kabul") == (KARACHI,)


def test_open_and_closed_in_local_time():
    zones = (KARACHI,)
    assert is_open(DAYTIME, datetime(2026, 12, 1, 4, 0, tzinfo=UTC), zones)  # 09:00 local
    assert not is_open(DAYTIME, datetime(2026, 12, 1, 3, 59, tzinfo=UTC), zones)  # 08:59
    assert not is_open(DAYTIME, datetime(2026, 12, 1, 15, 0, tzinfo=UTC), zones)  # 20:00, end excl.
    assert is_open(DAYTIME, datetime(2026, 12, 1, 14, 59, tzinfo=UTC), zones)


def test_next_opening_is_the_local_morning():
    night = datetime(2026, 12, 1, 22, 0, tzinfo=UTC)  # 03:00 in Karachi on 2 Dec
    assert next_opening(DAYTIME, night, (KARACHI,), KARACHI) == datetime(
        2026, 12, 2, 4, 0, tzinfo=UTC
    )


def test_whole_day_window_is_always_open():
    always = Window(0, 1440)
    for hour in range(24):
        assert is_open(always, datetime(2026, 12, 1, hour, 30, tzinfo=UTC), (KARACHI,))


def test_several_zones_must_all_be_open():
    zones = recipient_zones("+79001234567", "Asia/Dushanbe")
    assert len(zones) > 1
    moment = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    opening = next_opening(DAYTIME, moment, zones, ZoneInfo("Asia/Dushanbe"))
    assert opening >= moment
    assert is_open(DAYTIME, opening, zones)


def test_bad_windows_are_refused():
    with pytest.raises(ValueError):
        Window(600, 600)
    with pytest.raises(ValueError):
        Window(0, 1441)
