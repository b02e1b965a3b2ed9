"""The sending window, applied in the recipient's local time.

A window is minutes after midnight, start inclusive and end exclusive (1440 is "24:00", so
00:00–24:00 is always open). The recipient's zones come from the phone number; a number that
maps to several zones (Russia, Kazakhstan) is only sent to when the window is open in all of them,
and when they share no open minute the region's zone decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from outreach.contacts.phones import time_zones_for

DAY = 1440
_HORIZON = timedelta(days=2)


@dataclass(frozen=True)
class Window:
    start: int
    end: int

    def __post_init__(self) -> None:
        if not (0 <= self.start < DAY and 0 < self.end <= DAY and self.start < self.end):
            raise ValueError(f"not a sending window: {self.start}–{self.end}")

    def contains(self, moment: datetime, zone: ZoneInfo) -> bool:
        """Whether `moment` falls inside the window in `zone`'s local time."""
        local = moment.astimezone(zone)
        minute = local.hour * 60 + local.minute
        return self.start <= minute < self.end


@lru_cache(maxsize=4096)
def _zones_for_number(e164: str) -> tuple[str, ...]:
    return time_zones_for(e164)


def recipient_zones(e164: str, region_zone: str) -> tuple[ZoneInfo, ...]:
    """The zones a number may be in (from its prefix), else the region's zone."""
    names = _zones_for_number(e164) or (region_zone,)
    return tuple(ZoneInfo(name) for name in names)


def is_open(window: Window, now: datetime, zones: tuple[ZoneInfo, ...]) -> bool:
    """Whether the window is open now in every one of the zones."""
    return all(window.contains(now, zone) for zone in zones)


def next_opening(
    window: Window, now: datetime, zones: tuple[ZoneInfo, ...], fallback: ZoneInfo
) -> datetime:
    """The first moment at or after `now` when the window is open in all `zones`.

    When the zones never share an open minute, the window is applied in `fallback` alone.
    """
    if is_open(window, now, zones):
        return now
    for candidate in _window_starts(window, now, zones):
        if is_open(window, candidate, zones):
            return candidate
    if zones != (fallback,):
        return next_opening(window, now, (fallback,), fallback)
    raise AssertionError("a valid window opens within two days")


def _window_starts(window: Window, now: datetime, zones: tuple[ZoneInfo, ...]):
    """Each zone's window starts over the next two days, in time order."""
    starts = set()
    for zone in zones:
        local = now.astimezone(zone)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        for day in range(3):
            naive = (midnight + timedelta(days=day)).replace(tzinfo=None)
            start = (naive + timedelta(minutes=window.start)).replace(tzinfo=zone)
            if now < start <= now + _HORIZON:
                starts.add(start.astimezone(now.tzinfo))
    return sorted(starts)
