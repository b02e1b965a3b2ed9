"""Call-back requests: a person asks to be called back by a counsellor of their MRC.

One open request per person: while a request is open or claimed, asking again (by SMS now, by
a key press later) adds nothing, so nobody is queued twice; once it is done or cancelled, a new
request starts a new call-back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, insert, literal, select
from sqlalchemy.orm import Session

from outreach.models import CallbackRequest, CallbackStatus, Contact

OPEN_STATUSES = (CallbackStatus.OPEN, CallbackStatus.CLAIMED)


@dataclass(frozen=True)
class CallbackSource:
    """Where a request came from: the channel, and the campaign and response that carried it."""

    channel: str
    campaign_id: int | None = None
    response_id: int | None = None


def request_callback(
    session: Session, contact: Contact, source: CallbackSource, now: datetime
) -> CallbackRequest | None:
    """Queue a call-back for the contact's MRC; None when one is open for them already.

    "None open" is the WHERE of the INSERT itself, and the person's row is locked first
    (PostgreSQL), so two requests arriving at once queue one call-back, not two.
    """
    session.execute(select(Contact.id).where(Contact.id == contact.id).with_for_update())
    row = {
        "contact_id": contact.id,
        "region_id": contact.region_id,
        "campaign_id": source.campaign_id,
        "response_id": source.response_id,
        "channel": source.channel,
        "status": CallbackStatus.OPEN.value,
        "created_at": now,
    }
    columns = CallbackRequest.__table__.c
    values = select(*(literal(v, type_=columns[k].type) for k, v in row.items()))
    none_open = ~exists().where(
        CallbackRequest.contact_id == contact.id, CallbackRequest.status.in_(OPEN_STATUSES)
    )
    stmt = insert(CallbackRequest).from_select(list(row), values.where(none_open))
    inserted = session.execute(stmt.returning(CallbackRequest.id)).scalar_one_or_none()
    return session.get(CallbackRequest, inserted) if inserted is not None else None
