"""Counsellor hours: time counted only while the MRC's counsellors work, in the MRC's zone.

A region's `counsellor_hours` is `{"days": [0..6], "start": "HH:MM", "end": "HH:MM"}` in its
local time (Monday is 0). A request made on Friday evening and still waiting on Monday at 10:00
has waited one working hour, not sixty-two.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_HOURS = {"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}
_MAX_DAYS = 3660  # ten years: a longer wait is counted as ten years


@dataclass(frozen=True)
class WorkingHours:
    """The days and the daily span counsellors work, in `zone`."""

    days: frozenset[int]
    start: time
    end: time
    zone: ZoneInfo

    @classmethod
    def of(cls, counsellor_hours: dict | None, timezone: str) -> WorkingHours:
        """A region's counsellor hours; missing or unreadable parts take the defaults."""
        hours = {**DEFAULT_HOURS, **(counsellor_hours or {})}
        try:
            days = frozenset(int(d) for d in hours["days"] if 0 <= int(d) <= 6)
            start, end = _clock(hours["start"]), _clock(hours["end"])
        except (TypeError, ValueError):
            return cls.of(DEFAULT_HOURS, timezone)
        return cls(days, start, end, ZoneInfo(timezone))

    def span(self, day: date) -> tuple[datetime, datetime] | None:
        """The working span of a local calendar day, as aware moments; None on a day off."""
        if day.weekday() not in self.days or self.end <= self.start:
            return None
        return (
            datetime.combine(day, self.start, self.zone),
            datetime.combine(day, self.end, self.zone),
        )

    def is_open(self, moment: datetime) -> bool:
        """Whether counsellors are at work at `moment`."""
        span = self.span(moment.astimezone(self.zone).date())
        return span is not None and span[0] <= moment < span[1]


def _clock(text: str) -> time:
    hours, minutes = (int(part) for part in str(text).split(":"))
    return time(23, 59, 59) if (hours, minutes) == (24, 0) else time(hours, minutes)


def working_minutes(hours: WorkingHours, start: datetime, end: datetime) -> int:
    """Whole minutes of counsellor hours between `start` and `end` (0 when end is earlier)."""
    if end <= start:
        return 0
    first = start.astimezone(hours.zone).date()
    last = min(end.astimezone(hours.zone).date(), first + timedelta(days=_MAX_DAYS))
    total = timedelta()
    day = first
    while day <= last:
        span = hours.span(day)
        if span is not None:
            overlap = min(span[1], end) - max(span[0], start)
            if overlap > timedelta():
                total += overlap
        day += timedelta(days=1)
    return int(total.total_seconds() // 60)


def next_working_moment(hours: WorkingHours, moment: datetime) -> datetime:
    """`moment` if counsellors work then, else the start of their next working span."""
    day = moment.astimezone(hours.zone).date()
    for offset in range(8):
        span = hours.span(day + timedelta(days=offset))
        if span is not None and moment < span[1]:
            return max(moment, span[0])
    return moment  # no working day at all: nothing better to suggest
