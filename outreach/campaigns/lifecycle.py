"""A campaign's status moves: the one function that applies them, and the table it follows.

See `outreach.models.campaign.CampaignStatus` for the diagram.
"""

from __future__ import annotations

import enum
from datetime import datetime

from outreach.errors import Conflict
from outreach.models import Campaign, CampaignStatus


class CampaignEvent(enum.StrEnum):
    LAUNCH_LATER = "launch_later"
    LAUNCH_NOW = "launch_now"
    FIRE = "fire"
    MISS = "miss"
    PAUSE = "pause"
    RESUME = "resume"
    FINISH = "finish"
    WAIT_NEXT = "wait_next"
    CANCEL = "cancel"


S = CampaignStatus
MOVES: dict[tuple[CampaignStatus, CampaignEvent], CampaignStatus] = {
    (S.DRAFT, CampaignEvent.LAUNCH_LATER): S.SCHEDULED,
    (S.DRAFT, CampaignEvent.LAUNCH_NOW): S.RUNNING,
    (S.SCHEDULED, CampaignEvent.FIRE): S.RUNNING,
    (S.SCHEDULED, CampaignEvent.MISS): S.MISSED,
    (S.RUNNING, CampaignEvent.FIRE): S.RUNNING,
    (S.RUNNING, CampaignEvent.MISS): S.MISSED,
    (S.RUNNING, CampaignEvent.PAUSE): S.PAUSED,
    (S.SCHEDULED, CampaignEvent.PAUSE): S.PAUSED,
    (S.PAUSED, CampaignEvent.RESUME): S.RUNNING,
    (S.RUNNING, CampaignEvent.FINISH): S.DONE,
    (S.RUNNING, CampaignEvent.WAIT_NEXT): S.SCHEDULED,
    (S.DRAFT, CampaignEvent.CANCEL): S.CANCELLED,
    (S.SCHEDULED, CampaignEvent.CANCEL): S.CANCELLED,
    (S.RUNNING, CampaignEvent.CANCEL): S.CANCELLED,
    (S.PAUSED, CampaignEvent.CANCEL): S.CANCELLED,
}


def apply_event(campaign: Campaign, event: CampaignEvent, now: datetime) -> CampaignStatus:
    """Move the campaign by `event`, or raise Conflict naming the status it is in."""
    target = MOVES.get((CampaignStatus(campaign.status), event))
    if target is None:
        raise Conflict(
            f"a {campaign.status} campaign cannot {event.value.replace('_', ' ')}",
            {"status": campaign.status},
        )
    campaign.status = target
    if event in (CampaignEvent.LAUNCH_LATER, CampaignEvent.LAUNCH_NOW):
        campaign.launched_at = now
    if target in (S.DONE, S.CANCELLED, S.MISSED):
        campaign.finished_at = now
    return target
