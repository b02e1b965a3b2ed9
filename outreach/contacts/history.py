"""A contact's consent history as staff read it: each event with who recorded it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach.models import ConsentEvent, Contact, User


def consent_history_with_staff(
    session: Session, contact: Contact
) -> list[tuple[ConsentEvent, str | None]]:
    """A contact's consent events, newest first, each with the recording staff member's email."""
    stmt = (
        select(ConsentEvent, User.email)
        .outerjoin(User, User.id == ConsentEvent.user_id)
        .where(ConsentEvent.contact_id == contact.id)
        .order_by(ConsentEvent.at.desc(), ConsentEvent.id.desc())
    )
    return [(event, email) for event, email in session.execute(stmt)]
