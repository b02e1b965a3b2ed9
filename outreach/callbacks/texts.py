"""The SMS the queue sends a person: the acknowledgement, and how to reach the MRC.

Each is an outbound row in the outbox, sent by the worker like any other; only where the
person may be texted (opted in), and the worker checks their consent again when it sends.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from outreach.content import load_common, message_values, render_text
from outreach.models import Contact, Direction, Message, MessageStatus


def queue_text(session: Session, contact: Contact, name: str, now: datetime) -> Message | None:
    """Queue the common text `name` to the person in their language; None when not allowed."""
    if not contact.is_opted_in:
        return None
    texts = getattr(load_common(), name)
    region = contact.region
    language = next(
        (lang for lang in (contact.language, region.default_language, "en") if lang in texts),
        None,
    )
    if language is None:
        return None
    message = Message(
        direction=Direction.OUTBOUND,
        contact_id=contact.id,
        region_id=contact.region_id,
        to_phone=contact.phone,
        language=language,
        body=render_text(texts[language], message_values(region, contact)),
        status=MessageStatus.QUEUED,
        segments=1,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(message)
    return message
