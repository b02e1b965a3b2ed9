"""Status callbacks: the provider tells how a message fared. Only forward, duplicates harmless."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from outreach.contacts.consent import apply_consent
from outreach.messaging import outbox
from outreach.models import (
    MAX_ID,
    ConsentAction,
    ConsentChannel,
    ConsentState,
    Contact,
    Message,
    MessageStatus,
)

# Twilio's message statuses that tell us something; the others (accepted, queued, scheduled,
# sending) say the message is still on its way, which we know.
PROVIDER_STATUSES = {
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
}
UNSUBSCRIBED = "21610"


def find_message(session: Session, message_id: str | None, sid: str | None) -> Message | None:
    """The message a callback is about: by our id in the callback URL, else by provider SID."""
    message = None
    our_id = _our_id(message_id)
    if our_id is not None:
        message = session.get(Message, our_id)
    if message is None and sid:
        message = session.execute(
            select(Message).where(Message.provider_sid == sid)
        ).scalar_one_or_none()
    if message is not None and sid and message.provider_sid not in (None, sid):
        return None  # a callback for another message: ignore it rather than cross wires
    return message


def _our_id(message_id: str | None) -> int | None:
    """Our message id from the callback URL's `m`, when it is one."""
    if message_id and message_id.isascii() and message_id.isdigit() and len(message_id) <= 10:
        return int(message_id) if int(message_id) <= MAX_ID else None
    return None


def apply_sms_status(
    session: Session,
    message_id: str | None,
    sid: str | None,
    status: str,
    error_code: str | None,
    now: datetime,
) -> bool:
    """Record a status callback; False when it changed nothing (unknown, late or repeated).

    The one decision point: a callback naming a message of ours by id takes the fast path
    (`_apply_to_known`); one found only by SID, or telling the number unsubscribed (21610,
    which opts the contact out), takes the general path.
    """
    new = PROVIDER_STATUSES.get((status or "").strip().lower())
    if new is None:
        return False  # a status that tells us nothing new changes nothing, on either path
    known = _read_known(session, message_id) if error_code != UNSUBSCRIBED else None
    if known is not None:
        return _apply_to_known(session, known, sid, new, error_code, now)
    message = find_message(session, message_id, sid)
    if message is None:
        return False
    if sid:
        outbox.set_provider_sid(session, message.id, sid)
    changed = _advance(session, message.id, new, error_code, now)
    if error_code == UNSUBSCRIBED:
        opt_out_unsubscribed(session, message)
    return changed


_KNOWN = select(Message.id, Message.provider_sid).where(Message.id == bindparam("id"))


def _read_known(session: Session, message_id: str | None):
    """(id, provider_sid) of the message our id names, read by Core (no ORM object); or None."""
    our_id = _our_id(message_id)
    if our_id is None:
        return None
    return session.connection().execute(_KNOWN, {"id": our_id}).first()


def _apply_to_known(session: Session, known, sid, new, error_code, now) -> bool:
    """The fast path: as the general one, but from a Core row, and without the UPDATE that
    keeps the SID when the message already has this one (it would change nothing)."""
    if sid and known.provider_sid not in (None, sid):
        return False  # a callback for another message: ignore it rather than cross wires
    if sid and known.provider_sid is None:
        outbox.set_provider_sid(session, known.id, sid)
    return _advance(session, known.id, new, error_code, now)


def _advance(session: Session, message_id: int, new, error_code, now) -> bool:
    extra = {"error_code": error_code} if error_code else {}
    return outbox.advance_status(session, message_id, new, now, **extra)


def opt_out_unsubscribed(session: Session, message: Message) -> None:
    """The provider says the number unsubscribed from us (21610): record it as an opt-out."""
    contact = session.get(Contact, message.contact_id) if message.contact_id else None
    if contact is not None and contact.consent == ConsentState.OPTED_IN:
        apply_consent(
            session,
            contact,
            ConsentAction.OPT_OUT,
            ConsentChannel.SMS,
            "provider error 21610: the number has unsubscribed from this sender",
        )
