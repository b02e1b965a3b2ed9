"""Regions (MRCs): reading them within a scope, and the admin's changes to them."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach.access import Scope
from outreach.errors import Conflict, NotFound, ValidationFailed
from outreach.languages import parse_language
from outreach.models import HotlineMode, Region
from outreach.permissions import Action, check


def format_minutes(minutes: int) -> str:
    """`HH:MM` for minutes after midnight; 1440 is `24:00`."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_minutes(text: str, *, allow_end_of_day: bool = False) -> int:
    """Minutes after midnight for `HH:MM` (`24:00` only where allowed)."""
    try:
        hours, minutes = (int(part) for part in text.strip().split(":"))
    except (ValueError, AttributeError):
        raise ValidationFailed(f"{text!r} is not a time of day (HH:MM)") from None
    total = hours * 60 + minutes
    limit = 1440 if allow_end_of_day else 1439
    if not (0 <= minutes < 60 and 0 <= total <= limit):
        raise ValidationFailed(f"{text!r} is not a time of day (HH:MM)")
    return total


def list_regions(session: Session, scope: Scope) -> list[Region]:
    """The regions the user may see, by code."""
    stmt = scope.apply(select(Region), Region.id).order_by(Region.code)
    return list(session.execute(stmt).scalars())


def region_by_code(session: Session, scope: Scope, code: str) -> Region:
    """A region the user may see, by its code."""
    region = session.execute(
        select(Region).where(Region.code == (code or "").strip().lower())
    ).scalar_one_or_none()
    if region is None or not scope.allows(region.id):
        raise NotFound(f"region {code!r} not found", {"field": "region"})
    return region


@dataclass
class RegionInput:
    """What an admin fills in for a region; times are `HH:MM` in the region's local time."""

    code: str
    name: str
    country: str
    timezone: str
    languages: list[str]
    window_start: str = "09:00"
    window_end: str = "20:00"
    counsellor_days: list[int] | None = None
    counsellor_start: str = "09:00"
    counsellor_end: str = "17:00"
    phone: str | None = None
    sender_number: str | None = None
    hotline: str = HotlineMode.MENU.value


_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


def _sender_number(raw: str | None) -> str | None:
    """The number SMS and calls come from and the hotline answers: E.164, or none."""
    number = (raw or "").strip()
    if not number:
        return None
    try:
        possible = _E164.match(number) and phonenumbers.is_possible_number(
            phonenumbers.parse(number)
        )
    except phonenumbers.NumberParseException:
        possible = False
    if not possible:
        raise ValidationFailed(
            "sender_number: an E.164 number such as +925112345678", {"field": "sender_number"}
        )
    return number


def _hotline(raw: str) -> HotlineMode:
    try:
        return HotlineMode(raw)
    except ValueError:
        modes = ", ".join(mode.value for mode in HotlineMode)
        raise ValidationFailed(f"hotline: one of {modes}", {"field": "hotline"}) from None


def _validated(data: RegionInput) -> dict:
    code = data.code.strip().lower()
    if not code or len(code) > 32 or not all(c.isalnum() or c == "-" for c in code):
        raise ValidationFailed("code: letters, digits and dashes only", {"field": "code"})
    country = data.country.strip().upper()
    if country not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationFailed(f"unknown country {data.country!r}", {"field": "country"})
    try:
        ZoneInfo(data.timezone.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(
            f"unknown time zone {data.timezone!r}", {"field": "timezone"}
        ) from None
    languages = [parse_language(lang) for lang in data.languages if lang.strip()]
    if not languages or None in languages:
        raise ValidationFailed(
            "languages: one or more known language codes", {"field": "languages"}
        )
    start = parse_minutes(data.window_start)
    end = parse_minutes(data.window_end, allow_end_of_day=True)
    if end <= start:
        raise ValidationFailed("the sending window must end after it starts", {"field": "window"})
    return {
        "code": code,
        "name": data.name.strip() or code,
        "country": country,
        "timezone": data.timezone.strip(),
        "languages": list(dict.fromkeys(languages)),
        "window_start": start,
        "window_end": end,
        "counsellor_hours": {
            "days": sorted(
                set(data.counsellor_days if data.counsellor_days is not None else range(5))
            ),
            "start": format_minutes(parse_minutes(data.counsellor_start)),
            "end": format_minutes(parse_minutes(data.counsellor_end, allow_end_of_day=True)),
        },
        "phone": (data.phone or "").strip() or None,
        "sender_number": _sender_number(data.sender_number),
        "hotline": _hotline(data.hotline),
    }


def save_region(
    session: Session, scope: Scope, data: RegionInput, region: Region | None = None
) -> Region:
    """Create a region, or update `region`; only admins may."""
    check(scope.role, Action.REGIONS_EDIT)
    values = _validated(data)
    clash = session.execute(
        select(Region).where(Region.code == values["code"])
    ).scalar_one_or_none()
    if clash is not None and clash is not region:
        raise Conflict(f"a region with code {values['code']!r} exists", {"field": "code"})
    _check_number_free(session, values["sender_number"], region)
    if region is None:
        region = Region()
        session.add(region)
    for key, value in values.items():
        setattr(region, key, value)
    session.flush()
    return region


def _check_number_free(session: Session, number: str | None, region: Region | None) -> None:
    """A sender number belongs to one region: a call to it must find its one MRC."""
    if number is None:
        return
    holder = session.execute(
        select(Region).where(Region.sender_number == number)
    ).scalar_one_or_none()
    if holder is not None and holder is not region:
        raise Conflict(
            f"{number} is the sender number of region {holder.code}", {"field": "sender_number"}
        )


def region_input(region: Region) -> RegionInput:
    """A region's settings as the input that would save them unchanged."""
    hours = region.counsellor_hours or {}
    return RegionInput(
        code=region.code,
        name=region.name,
        country=region.country,
        timezone=region.timezone,
        languages=list(region.languages),
        window_start=format_minutes(region.window_start),
        window_end=format_minutes(region.window_end),
        counsellor_days=list(hours.get("days", range(5))),
        counsellor_start=hours.get("start", "09:00"),
        counsellor_end=hours.get("end", "17:00"),
        phone=region.phone,
        sender_number=region.sender_number,
        hotline=region.hotline or HotlineMode.MENU.value,
    )


def change_region(session: Session, scope: Scope, code: str, changes: dict) -> Region:
    """Change some of a region's settings (RegionInput field names); only admins may."""
    check(scope.role, Action.REGIONS_EDIT)
    region = region_by_code(session, scope, code)
    return save_region(session, scope, replace(region_input(region), **changes), region)
