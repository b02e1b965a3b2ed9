"""Finding campaigns a user may see."""

from __future__ import annotations

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session

from outreach.access import Scope
from outreach.models import Campaign, CampaignStatus, ContactList
from outreach.models.campaign import campaign_lists, campaign_regions
from outreach.pagination import Page, paginate


def visible_campaigns(scope: Scope) -> Select:
    """Campaigns every one of whose regions and lists lies in the scope (as `get_campaign`)."""
    stmt = select(Campaign)
    if scope.region_ids is None:
        return stmt
    allowed = list(scope.region_ids)
    region_outside = exists().where(
        campaign_regions.c.campaign_id == Campaign.id,
        campaign_regions.c.region_id.not_in(allowed),
    )
    list_outside = exists().where(
        campaign_lists.c.campaign_id == Campaign.id,
        campaign_lists.c.list_id == ContactList.id,
        ContactList.region_id.not_in(allowed),
    )
    return stmt.where(~region_outside, ~list_outside)


def search_campaigns(
    session: Session,
    scope: Scope,
    status: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """One page of the campaigns the user may see, newest first, optionally of one status."""
    stmt = visible_campaigns(scope)
    if status is not None:
        stmt = stmt.where(Campaign.status == CampaignStatus(status))
    return paginate(session, stmt.order_by(Campaign.id.desc()), page, per_page)
