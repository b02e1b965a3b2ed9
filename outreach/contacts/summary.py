"""Figures for the dashboard: per region, how many contacts are opted in and out, and lists."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from outreach.access import Scope
from outreach.models import ConsentState, Contact, ContactList, Region
from outreach.regions import list_regions


@dataclass(frozen=True)
class RegionSummary:
    """One region's contacts by consent state and its number of lists."""

    region: Region
    opted_in: int = 0
    opted_out: int = 0
    lists: int = 0

    @property
    def contacts(self) -> int:
        return self.opted_in + self.opted_out


def region_summaries(session: Session, scope: Scope) -> list[RegionSummary]:
    """A summary for each region the user may see, by region code."""
    consent_counts = scope.apply(
        select(Contact.region_id, Contact.consent, func.count()).group_by(
            Contact.region_id, Contact.consent
        ),
        Contact.region_id,
    )
    by_state: dict[tuple[int, str], int] = {
        (region_id, state): n for region_id, state, n in session.execute(consent_counts)
    }
    list_counts = scope.apply(
        select(ContactList.region_id, func.count()).group_by(ContactList.region_id),
        ContactList.region_id,
    )
    lists = dict(session.execute(list_counts).all())
    return [
        RegionSummary(
            region=region,
            opted_in=by_state.get((region.id, ConsentState.OPTED_IN.value), 0),
            opted_out=by_state.get((region.id, ConsentState.OPTED_OUT.value), 0),
            lists=lists.get(region.id, 0),
        )
        for region in list_regions(session, scope)
    ]
