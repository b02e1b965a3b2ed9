"""A contact's history as staff read it: consent events (with who), answers, call-backs."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach.models import Call, CallbackRequest, ConsentEvent, Contact, Response, User


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


def responses_of(session: Session, contact: Contact) -> list[Response]:
    """What a contact answered (replies, key presses, keywords), newest first."""
    stmt = (
        select(Response)
        .where(Response.contact_id == contact.id)
        .order_by(Response.at.desc(), Response.id.desc())
    )
    return list(session.execute(stmt).scalars())


def calls_of(session: Session, contact: Contact, limit: int = 200) -> list[Call]:
    """A contact's calls, newest first (the latest `limit`)."""
    stmt = (
        select(Call)
        .where(Call.contact_id == contact.id)
        .order_by(Call.created_at.desc(), Call.id.desc())
        .limit(limit)
    )
    return list(session.execute(stmt).scalars())


def callbacks_of(session: Session, contact: Contact) -> list[CallbackRequest]:
    """A contact's call-back requests, newest first."""
    stmt = (
        select(CallbackRequest)
        .where(CallbackRequest.contact_id == contact.id)
        .order_by(CallbackRequest.created_at.desc(), CallbackRequest.id.desc())
    )
    return list(session.execute(stmt).scalars())
