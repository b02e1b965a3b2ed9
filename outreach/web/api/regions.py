"""Regions (MRCs) through the API."""

from __future__ import annotations

from outreach.extensions import db
from outreach.models import HotlineMode, Region
from outreach.permissions import Action
from outreach.regions import change_region, format_minutes, list_regions
from outreach.web.api import current_scope, registry
from outreach.web.api.schemas.regions import (
    CounsellorHoursOut,
    RegionList,
    RegionOut,
    RegionPatch,
    WindowOut,
)


def region_out(region: Region) -> RegionOut:
    """A region as the API shows it."""
    hours = region.counsellor_hours or {}
    return RegionOut(
        code=region.code,
        name=region.name,
        country=region.country,
        timezone=region.timezone,
        languages=list(region.languages),
        phone=region.phone,
        sender_number=region.sender_number,
        window=WindowOut(
            start=format_minutes(region.window_start), end=format_minutes(region.window_end)
        ),
        counsellor_hours=CounsellorHoursOut(
            days=list(hours.get("days", [])),
            start=hours.get("start", "09:00"),
            end=hours.get("end", "17:00"),
        ),
        hotline=region.hotline or HotlineMode.MENU.value,
    )


@registry.route(
    "GET", "/regions", responses={200: RegionList}, tag="regions", action=Action.REGIONS_READ
)
def get_regions():
    """The regions the user may see."""
    regions = list_regions(db.session, current_scope())
    return RegionList(items=[region_out(r) for r in regions]), 200


@registry.route(
    "PATCH",
    "/regions/<code>",
    body=RegionPatch,
    responses={200: RegionOut},
    tag="regions",
    action=Action.REGIONS_EDIT,
)
def patch_region(code: str, body: RegionPatch):
    """Change any of a region's settings (admins)."""
    region = change_region(db.session, current_scope(), code, _changes(body))
    db.session.commit()
    return region_out(region), 200


def _changes(body: RegionPatch) -> dict:
    """The fields given, as the region service's input names."""
    given = body.model_fields_set
    changes = {key: getattr(body, key) for key in ("name", "phone", "sender_number", "hotline")}
    changes = {key: value for key, value in changes.items() if key in given}
    if "languages" in given:
        changes["languages"] = list(body.languages)
    if "window" in given:
        changes.update(window_start=body.window.start, window_end=body.window.end)
    if "counsellor_hours" in given:
        hours = body.counsellor_hours
        changes.update(
            counsellor_days=list(hours.days),
            counsellor_start=hours.start,
            counsellor_end=hours.end,
        )
    return changes
