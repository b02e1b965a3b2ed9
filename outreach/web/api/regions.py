"""Regions (MRCs) through the API."""

from __future__ import annotations

from outreach.extensions import db
from outreach.models import Region
from outreach.permissions import Action
from outreach.regions import list_regions
from outreach.web.api import current_scope, registry
from outreach.web.api.schemas.regions import RegionList, RegionOut


def region_out(region: Region) -> RegionOut:
    """A region as the API shows it."""
    return RegionOut(
        code=region.code,
        name=region.name,
        country=region.country,
        timezone=region.timezone,
        languages=list(region.languages),
    )


@registry.route(
    "GET", "/regions", responses={200: RegionList}, tag="regions", action=Action.REGIONS_READ
)
def get_regions():
    """The regions the user may see."""
    regions = list_regions(db.session, current_scope())
    return RegionList(items=[region_out(r) for r in regions]), 200
