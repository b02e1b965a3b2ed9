"""Waiting time in counsellor hours, and when the next attempt is suggested — clock passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from callback_support import FRIDAY_16, MONDAY_10, OSH_NUMBER

from outreach.callbacks.hours import WorkingHours, next_working_moment, working_minutes
from outreach.callbacks.scheduling import next_attempt_at

OSH_HOURS = WorkingHours.of(
    {"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}, "Asia/Bishkek"
)


def test_waiting_time_counts_only_counsellor_hours_across_a_weekend():
    monday_10 = FRIDAY_16 + timedelta(days=3, hours=-6)  # Monday 10:00 in Osh
    # Friday 16:00–17:00 and Monday 09:00–10:00: two working hours, not sixty-six.
    assert working_minutes(OSH_HOURS, FRIDAY_16, monday_10) == 120
    saturday = FRIDAY_16 + timedelta(days=1)
    assert working_minutes(OSH_HOURS, saturday, saturday + timedelta(hours=30)) == 0
    assert working_minutes(OSH_HOURS, monday_10, FRIDAY_16) == 0  # never negative


def test_waiting_time_of_a_whole_week_is_five_working_days():
    assert working_minutes(OSH_HOURS, MONDAY_10, MONDAY_10 + timedelta(days=7)) == 5 * 8 * 60


def test_a_region_working_sunday_to_thursday_counts_its_own_week():
    kabul = WorkingHours.of(
        {"days": [6, 0, 1, 2, 3], "start": "08:00", "end": "16:00"}, "Asia/Kabul"
    )
    friday_noon = datetime(2026, 12, 4, 7, 30, tzinfo=UTC)  # 12:00 in Kabul (UTC+4:30)
    sunday_9 = datetime(2026, 12, 6, 4, 30, tzinfo=UTC)  # 09:00 in Kabul
    assert working_minutes(kabul, friday_noon, sunday_9) == 60


def test_the_next_working_moment_skips_the_night_and_the_weekend():
    assert next_working_moment(OSH_HOURS, MONDAY_10) == MONDAY_10
    friday_18 = FRIDAY_16 + timedelta(hours=2)
    monday_9 = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
    assert next_working_moment(OSH_HOURS, friday_18) == monday_9


def test_unreadable_hours_fall_back_to_weekdays_nine_to_five():
    hours = WorkingHours.of({"days": "every", "start": "late"}, "Asia/Bishkek")
    assert hours == OSH_HOURS


def test_the_next_attempt_is_spaced_by_the_regions_spacing(region):
    osh = region("kg-osh")
    # No answer at 10:00 on Monday: try again at 12:00, two hours later, the same day.
    assert next_attempt_at(osh, OSH_NUMBER, MONDAY_10, MONDAY_10) == MONDAY_10 + timedelta(hours=2)
    osh.callback_spacing_minutes = 30
    assert next_attempt_at(osh, OSH_NUMBER, MONDAY_10, MONDAY_10) == MONDAY_10 + timedelta(hours=2)


def test_the_next_attempt_is_at_another_time_of_day_than_the_unanswered_one(region):
    osh = region("kg-osh")
    osh.callback_spacing_minutes = 24 * 60  # a day apart would be Tuesday 10:00 again
    tuesday_12 = MONDAY_10 + timedelta(days=1, hours=2)
    assert next_attempt_at(osh, OSH_NUMBER, MONDAY_10, MONDAY_10) == tuesday_12


def test_after_friday_afternoon_the_next_attempt_waits_for_monday_and_the_persons_daytime(
    region,
):
    osh = region("kg-osh")
    osh.window_start = 10 * 60  # the person's daytime starts at 10:00, after counsellors start
    monday_10 = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)
    assert next_attempt_at(osh, OSH_NUMBER, FRIDAY_16, FRIDAY_16) == monday_10


def test_a_person_in_another_zone_is_called_in_their_own_daytime(region):
    osh = region("kg-osh")
    osh.window_start, osh.window_end = 9 * 60, 20 * 60
    # A Moscow number (UTC+3): counsellors start at 09:00 Osh time, 06:00 in Moscow; the
    # person's daytime starts at 09:00 Moscow time, 12:00 in Osh: the first suggestion.
    monday_7 = MONDAY_10 - timedelta(hours=3)
    moscow = "+74951234567"
    assert next_attempt_at(
        osh, moscow, None, monday_7 - timedelta(hours=2)
    ) == MONDAY_10 + timedelta(hours=2)
