"""Call-back requests: a person asks to be called back by a counsellor of their MRC.

One open request per person: while a request is open or claimed, asking again (an SMS reply,
key 9, the hotline, a missed call, staff) adds a source to it, so nobody is queued twice; once
it is closed, a new request starts a new call-back. A new request is acknowledged once by SMS
where the person may be texted (an SMS reply is acknowledged by its own reply instead).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from outreach.access import Scope
from outreach.audit import record_audit
from outreach.callbacks.texts import queue_text
from outreach.contacts.service import get_contact
from outreach.errors import Forbidden
from outreach.models import (
    CallbackChannel,
    CallbackRequest,
    CallbackRequestSource,
    CallbackStatus,
    Contact,
)
from outreach.models.callback import OPEN_STATUSES, OPEN_WHERE


@dataclass(frozen=True)
class CallbackSource:
    """Where a request came from: the channel, and the campaign and response that carried it."""

    channel: str
    campaign_id: int | None = None
    response_id: int | None = None
    user_id: int | None = None  # the member of staff who asked on the person's behalf
    note: str | None = None


@dataclass(frozen=True)
class Requested:
    """What asking did: the open request, and whether this ask created it."""

    request: CallbackRequest
    created: bool


def request_callback(
    session: Session, contact: Contact, source: CallbackSource, now: datetime
) -> Requested:
    """Queue a call-back for the contact's MRC, or add this source to their open request.

    The INSERT skips a conflict with the partial unique index (one open or claimed request per
    person), and the person's row is locked first (PostgreSQL), so two requests arriving at
    once make one request with two sources, never two requests.
    """
    channel = CallbackChannel(source.channel)
    session.execute(select(Contact.id).where(Contact.id == contact.id).with_for_update())
    created_id = _insert_request(session, contact, source, now)
    request_id = (
        created_id
        or session.execute(
            select(CallbackRequest.id).where(
                CallbackRequest.contact_id == contact.id, CallbackRequest.status.in_(OPEN_STATUSES)
            )
        ).scalar_one()
    )
    session.execute(
        insert(CallbackRequestSource).values(
            request_id=request_id,
            channel=channel.value,
            campaign_id=source.campaign_id,
            response_id=source.response_id,
            user_id=source.user_id,
            note=source.note,
            at=now,
        )
    )
    if created_id is not None and channel is not CallbackChannel.SMS:
        # An SMS reply is answered in the webhook's own reply: that is its acknowledgement.
        queue_text(session, contact, "callback_requested", now)
    return Requested(session.get(CallbackRequest, request_id), created_id is not None)


def _insert_request(session: Session, contact: Contact, source: CallbackSource, now) -> int | None:
    """The new request's id; None when the person has an open one already."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(CallbackRequest)
        .values(
            contact_id=contact.id,
            region_id=contact.region_id,
            campaign_id=source.campaign_id,
            response_id=source.response_id,
            channel=source.channel,
            status=CallbackStatus.OPEN.value,
            due_at=now,
            created_at=now,
        )
        .on_conflict_do_nothing(
            index_elements=["contact_id"],
            # Literal, as in the index: PostgreSQL must see the predicate imply the index's.
            index_where=text(OPEN_WHERE),
        )
    )
    return session.execute(stmt.returning(CallbackRequest.id)).scalar_one_or_none()


def request_for_contact(
    session: Session, scope: Scope, contact_id: int, note: str | None, now: datetime
) -> Requested:
    """A member of staff asks for a call-back on a person's behalf (a walk-in, a phone call)."""
    if scope.user_id is None:
        raise Forbidden("a call-back is asked for by a member of staff")
    contact = get_contact(session, scope, contact_id)
    source = CallbackSource(CallbackChannel.STAFF, user_id=scope.user_id, note=note or None)
    requested = request_callback(session, contact, source, now)
    record_audit(
        session,
        scope.user_id,
        "callback.request",
        "callback",
        requested.request.id,
        contact_id=contact.id,
        created=requested.created,
    )
    return requested
