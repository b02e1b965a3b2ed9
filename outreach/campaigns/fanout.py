"""Fan-out: one outbound message (SMS) or call (voice) row per eligible contact, in one
set-based, idempotent statement, written before anything is sent or placed.

Eligible: opted in now, in the campaign's regions or lists, and — for a recurring campaign — not
sent this campaign's message within the recurrence period. `(run_id, contact_id)` is unique and
conflicts are skipped, so a fan-out repeated after a crash adds only what is missing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, exists, false, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from outreach.models import (
    Call,
    CallStatus,
    Campaign,
    CampaignRun,
    Channel,
    ConsentState,
    Contact,
    Direction,
    Message,
    MessageStatus,
    Recurrence,
    list_members,
)

RECURRENCE_PERIOD = {
    Recurrence.DAILY: timedelta(days=1),
    Recurrence.WEEKLY: timedelta(days=7),
    Recurrence.MONTHLY: timedelta(days=28),
}
_NOT_SENT = (MessageStatus.FAILED,)


def audience_filter(campaign: Campaign):
    """The SQL condition for contacts in the campaign's audience who are opted in."""
    region_ids = [r.id for r in campaign.regions]
    list_ids = [contact_list.id for contact_list in campaign.lists]
    in_lists = Contact.id.in_(
        select(list_members.c.contact_id).where(list_members.c.list_id.in_(list_ids))
    )
    audience = []
    if region_ids:
        audience.append(Contact.region_id.in_(region_ids))
    if list_ids:
        audience.append(in_lists)
    return and_(Contact.consent == ConsentState.OPTED_IN, or_(*audience) if audience else false())


def _recently_sent(campaign: Campaign, since: datetime, model=Message):
    earlier = model.__table__.alias("earlier")
    return exists().where(
        earlier.c.campaign_id == campaign.id,
        earlier.c.contact_id == Contact.id,
        earlier.c.created_at > since,
        earlier.c.status.not_in(_NOT_SENT),
    )


def fan_out(session: Session, campaign: Campaign, run: CampaignRun, now: datetime) -> int:
    """Queue the run's messages, or its calls for a voice campaign; how many rows were added.

    A call's language is its contact's (a call plays the contact's language, no menu).
    """
    voice = campaign.channel == Channel.VOICE
    model = Call if voice else Message
    condition = audience_filter(campaign)
    if campaign.recurrence:
        since = run.scheduled_for - RECURRENCE_PERIOD[Recurrence(campaign.recurrence)]
        condition = and_(condition, ~_recently_sent(campaign, since, model))
    columns = {
        "direction": literal(Direction.OUTBOUND.value),
        "campaign_id": literal(campaign.id),
        "run_id": literal(run.id),
        "contact_id": Contact.id,
        "region_id": Contact.region_id,
        "to_phone": Contact.phone,
        "language": Contact.language,
        "status": literal((CallStatus.QUEUED if voice else MessageStatus.QUEUED).value),
        "attempts": literal(0),
        "next_attempt_at": literal(now, model.next_attempt_at.type),
        "created_at": literal(now, model.created_at.type),
        "updated_at": literal(now, model.updated_at.type),
    }
    if not voice:
        columns["segments"] = literal(1)
    rows = select(*columns.values()).where(condition)
    insert = _dialect_insert(session)(model).from_select(list(columns), rows)
    insert = insert.on_conflict_do_nothing(index_elements=["run_id", "contact_id"])
    return session.execute(insert, execution_options={"preserve_rowcount": True}).rowcount


def _dialect_insert(session: Session):
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
