"""What a campaign's pages list: message counts per campaign, its latest messages and replies."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from outreach.access import Scope
from outreach.contacts.privacy import shown_number, shown_phones
from outreach.models import Campaign, Contact, Direction, Message, Response

DELIVERED = ("delivered",)
SENT = ("sent", "delivered", "undelivered")  # accepted by the provider, whatever came after


def message_counts(session: Session, campaign_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Outbound messages per campaign by their current status."""
    ids = list(campaign_ids)
    counts: dict[int, dict[str, int]] = {campaign_id: {} for campaign_id in ids}
    if not ids:
        return counts
    rows = session.execute(
        select(Message.campaign_id, Message.status, func.count())
        .where(Message.campaign_id.in_(ids), Message.direction == Direction.OUTBOUND)
        .group_by(Message.campaign_id, Message.status)
    )
    for campaign_id, status, count in rows:
        counts[campaign_id][str(status)] = count
    return counts


def recent_messages(
    session: Session, scope: Scope, campaign: Campaign, now: datetime, limit: int = 50
) -> list[tuple[Message, Contact | None, str]]:
    """The campaign's latest messages out, with their contacts and shown numbers, newest first."""
    rows = session.execute(
        select(Message, Contact)
        .outerjoin(Contact, Contact.id == Message.contact_id)
        .where(Message.campaign_id == campaign.id, Message.direction == Direction.OUTBOUND)
        .order_by(Message.updated_at.desc(), Message.id.desc())
        .limit(limit)
    ).all()
    phones = shown_phones(session, scope, (contact for _, contact in rows), now)
    return [
        (message, contact, phones[contact.id] if contact else shown_number(scope, message.to_phone))
        for message, contact in rows
    ]


def recent_responses(
    session: Session, scope: Scope, campaign: Campaign, now: datetime, limit: int = 50
) -> list[tuple[Response, Contact | None, str | None]]:
    """The latest replies to the campaign (answers, call-backs, opt-outs…) with shown numbers."""
    rows = session.execute(
        select(Response, Contact)
        .outerjoin(Contact, Contact.id == Response.contact_id)
        .where(Response.campaign_id == campaign.id)
        .order_by(Response.at.desc(), Response.id.desc())
        .limit(limit)
    ).all()
    phones = shown_phones(session, scope, (contact for _, contact in rows), now)
    return [
        (response, contact, phones[contact.id] if contact else None) for response, contact in rows
    ]
