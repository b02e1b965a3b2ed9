"""Status callbacks: the provider tells how a message fared. Only forward, duplicates harmless."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
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
    if message_id and message_id.isascii() and message_id.isdigit() and len(message_id) <= 10:
        message = session.get(Message, int(message_id)) if int(message_id) <= MAX_ID else None
    if message is None and sid:
        message = session.execute(
            select(Message).where(Message.provider_sid == sid)
        ).scalar_one_or_none()
    if message is not None and sid and message.provider_sid not in (None, sid):
        return None  # a callback for another message: ignore it rather than cross wires
    return message


def apply_sms_status(
    session: Session,
    message_id: str | None,
    sid: str | None,
    status: str,
    error_code: str | None,
    now: datetime,
) -> bool:
    """Record a status callback; False when it changed nothing (unknown, late or repeated)."""
    message = find_message(session, message_id, sid)
    new = PROVIDER_STATUSES.get((status or "").strip().lower())
    if message is None or new is None:
        return False
    if sid:
        outbox.set_provider_sid(session, message.id, sid)
    extra = {"error_code": error_code} if error_code else {}
    changed = outbox.advance_status(session, message.id, new, now, **extra)
    if error_code == UNSUBSCRIBED:
        opt_out_unsubscribed(session, message)
    return changed


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
