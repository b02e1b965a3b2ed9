"""When to try again: spaced, in counsellor hours, in the person's daytime, at another hour.

A person who did not answer at 10:00 on Monday is probably at work every morning at 10:00:
the next attempt is suggested no sooner than the region's spacing, inside counsellor hours and
the person's local daytime (their zone from the number, as for sending SMS), and at a time of
day at least `SHIFT` away from the last unanswered attempt. When the hours are too short for
such a shift within two weeks, the shift is dropped rather than suggesting nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from outreach.callbacks.hours import WorkingHours
from outreach.contacts.phones import time_zones_for
from outreach.models import Region

SHIFT = timedelta(hours=2)
STEP = timedelta(minutes=15)
_HORIZON = timedelta(days=14)
_DAY_MINUTES = 1440


def person_zones(phone: str, region: Region) -> tuple[ZoneInfo, ...]:
    """The zones a person may be in (from their number), else their MRC's zone."""
    names = time_zones_for(phone) or (region.timezone,)
    return tuple(ZoneInfo(name) for name in names)


def person_zone(phone: str, region: Region) -> ZoneInfo:
    """The one zone to show a person's local time in: their number's first, else the MRC's."""
    return person_zones(phone, region)[0]


def in_daytime(region: Region, moment: datetime, zones: tuple[ZoneInfo, ...]) -> bool:
    """Whether `moment` is inside the region's sending window in every zone of the person."""
    for zone in zones:
        local = moment.astimezone(zone)
        minute = local.hour * 60 + local.minute
        if not region.window_start <= minute < region.window_end:
            return False
    return True


def next_attempt_at(
    region: Region, phone: str, last_unanswered: datetime | None, now: datetime
) -> datetime:
    """The suggested time of the next attempt after an unanswered one at `last_unanswered`."""
    hours = WorkingHours.of(region.counsellor_hours, region.timezone)
    zones = person_zones(phone, region)
    earliest = now + timedelta(minutes=region.callback_spacing_minutes)
    found = _first_slot(hours, region, zones, earliest, last_unanswered)
    if found is None:
        found = _first_slot(hours, region, zones, earliest, None)
    return found or earliest


def _first_slot(hours, region, zones, earliest: datetime, avoid: datetime | None):
    candidate = earliest
    while candidate < earliest + _HORIZON:
        if (
            hours.is_open(candidate)
            and in_daytime(region, candidate, zones)
            and _other_time_of_day(candidate, avoid, hours.zone)
        ):
            return candidate
        candidate = _next_step(candidate)
    return None


def _next_step(moment: datetime) -> datetime:
    """The next quarter hour after `moment` (so slots land on :00, :15, :30, :45)."""
    floored = moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)
    return floored + STEP


def _other_time_of_day(candidate: datetime, avoid: datetime | None, zone: ZoneInfo) -> bool:
    """Whether the candidate's local time of day is at least SHIFT from `avoid`'s."""
    if avoid is None:
        return True
    a, b = candidate.astimezone(zone), avoid.astimezone(zone)
    apart = abs((a.hour * 60 + a.minute) - (b.hour * 60 + b.minute))
    apart = min(apart, _DAY_MINUTES - apart)
    return apart >= SHIFT.total_seconds() // 60
