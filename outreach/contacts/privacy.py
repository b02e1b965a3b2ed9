"""Who may read a contact's number in full: the one rule every page, list and API item applies.

Admins and coordinators manage contacts (they import, correct and export them), so they read
every number of their regions. A counsellor reads a number in full only while holding the live
claim on an open call-back request of that person — the call they are about to make; everywhere
else (contact pages and lists, list members, campaign pages, the call-back queue, the API) they
see it masked. System jobs (no role) read everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach.access import Scope
from outreach.contacts.phones import mask_phone
from outreach.models import CallbackRequest, CallbackStatus, Contact, Role

_SEES_EVERY_NUMBER = frozenset({None, Role.ADMIN, Role.COORDINATOR})


def sees_every_number(scope: Scope) -> bool:
    """Whether the user reads every number in their regions in full (they manage contacts)."""
    return scope.role in _SEES_EVERY_NUMBER


def holds_claim_on(scope: Scope, claimed_by_id: int | None) -> bool:
    """Whether a live claim (already read as live) is this user's."""
    return claimed_by_id is not None and claimed_by_id == scope.user_id


def may_read_number(scope: Scope, live_claim_holder: int | None) -> bool:
    """The rule for one contact whose live claim holder (if any) is already known."""
    return sees_every_number(scope) or holds_claim_on(scope, live_claim_holder)


def may_read_queue_number(scope: Scope, live_claim_holder: int | None) -> bool:
    """The call-back queue's rule (issue contract): in full only to the claimer and admins.

    The queue is where numbers are dialled from, so a coordinator browsing it sees them masked
    like anyone not making the call; their contact pages stay theirs to manage."""
    return scope.role in (None, Role.ADMIN) or holds_claim_on(scope, live_claim_holder)


def claimed_contact_ids(
    session: Session, scope: Scope, contact_ids: Iterable[int], now: datetime
) -> set[int]:
    """Of these contacts, those with a request whose claim this user holds now (one query)."""
    wanted = set(contact_ids)
    if not wanted or scope.user_id is None:
        return set()
    stmt = select(CallbackRequest.contact_id).where(
        CallbackRequest.contact_id.in_(wanted),
        CallbackRequest.status == CallbackStatus.CLAIMED,
        CallbackRequest.claimed_by_id == scope.user_id,
        CallbackRequest.claim_expires_at > now,
    )
    return set(session.execute(stmt).scalars())


def shown_phones(
    session: Session, scope: Scope, contacts: Iterable[Contact | None], now: datetime
) -> dict[int, str]:
    """Each contact's number as this user may see it, by contact id (full or masked)."""
    found = {c.id: c.phone for c in contacts if c is not None}
    if sees_every_number(scope):
        return found
    held = claimed_contact_ids(session, scope, found, now)
    return {cid: phone if cid in held else mask_phone(phone) for cid, phone in found.items()}


def shown_phone(session: Session, scope: Scope, contact: Contact, now: datetime) -> str:
    """One contact's number as this user may see it."""
    return shown_phones(session, scope, [contact], now)[contact.id]


def shown_number(scope: Scope, phone: str) -> str:
    """A number that belongs to no contact (a test send to staff): full only to managers."""
    return phone if sees_every_number(scope) else mask_phone(phone)
