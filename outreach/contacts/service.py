"""Finding contacts and changing their consent, always within the user's regions."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from outreach.access import Scope
from outreach.audit import record_audit
from outreach.contacts.consent import apply_consent
from outreach.contacts.phones import InvalidPhone, normalise_phone
from outreach.contacts.privacy import sees_every_number
from outreach.errors import NotFound, ValidationFailed
from outreach.models import (
    ConsentAction,
    ConsentChannel,
    ConsentEvent,
    ConsentState,
    Contact,
    Region,
    list_members,
)
from outreach.pagination import Page, paginate
from outreach.permissions import CONSENT_ACTIONS, check


@dataclass(frozen=True)
class ContactFilters:
    """What a contact search may narrow by; all optional."""

    region_code: str | None = None
    consent: str | None = None
    list_id: int | None = None
    phone: str | None = None
    text: str | None = None


def search_contacts(
    session: Session, scope: Scope, filters: ContactFilters, page: int = 1, per_page: int = 50
) -> Page:
    """One page of the contacts the user may see, newest first."""
    stmt = contacts_query(session, scope, filters).order_by(Contact.id.desc())
    return paginate(session, stmt, page, per_page)


def contacts_query(session: Session, scope: Scope, filters: ContactFilters) -> Select:
    """The unordered statement for the contacts a search finds within the scope."""
    return _narrow(session, scope, scope.apply(select(Contact), Contact.region_id), filters)


def _narrow(session: Session, scope: Scope, stmt, filters: ContactFilters):
    if filters.region_code:
        stmt = stmt.join(Region, Region.id == Contact.region_id).where(
            Region.code == filters.region_code
        )
    if filters.consent:
        if filters.consent not in set(ConsentState):
            raise ValidationFailed("consent must be opted_in or opted_out", {"field": "consent"})
        stmt = stmt.where(Contact.consent == filters.consent)
    if filters.list_id is not None:
        stmt = stmt.where(
            Contact.id.in_(
                select(list_members.c.contact_id).where(list_members.c.list_id == filters.list_id)
            )
        )
    if filters.phone:
        stmt = stmt.where(Contact.phone == _phone_for_search(filters.phone))
    if filters.text:
        stmt = _match_text(session, scope, stmt, filters.text.strip())
    return stmt


def _phone_for_search(raw: str) -> str:
    """A searched number in E.164; international format is required to be unambiguous."""
    raw = raw.strip()
    if not raw.startswith("+"):
        raw = "+" + raw.lstrip("0")
    try:
        return normalise_phone(raw, "ZZ")
    except InvalidPhone:
        return raw


def _match_text(session: Session, scope: Scope, stmt, text: str):
    """Search by name (any part, any case) or by the number.

    Those who may read every number match any four or more of its digits. Anyone else matches
    a whole number only (one a person gave them): matching parts would let them uncover a masked
    number digit by digit through repeated searches.
    """
    conditions = [Contact.name.ilike(f"%{text}%")]
    if sees_every_number(scope):
        # Leading zeros are a trunk or international prefix (0300…, 0092…), not part of E.164.
        digits = "".join(ch for ch in text if ch.isdigit()).lstrip("0")
        if len(digits) >= 4:
            conditions.append(Contact.phone.contains(digits))
    elif numbers := _whole_numbers(session, scope, text):
        conditions.append(Contact.phone.in_(numbers))
    return stmt.where(or_(*conditions))


def _whole_numbers(session: Session, scope: Scope, text: str) -> set[str]:
    """The E.164 numbers `text` can be: written internationally, or locally in a user's region."""
    countries = set(
        session.execute(scope.apply(select(Region.country).distinct(), Region.id)).scalars()
    )
    numbers = set()
    for country in ("ZZ", *sorted(countries)):
        try:
            numbers.add(normalise_phone(text, country))
        except InvalidPhone:
            continue
    return numbers


def get_contact(session: Session, scope: Scope, contact_id: int) -> Contact:
    """One contact the user may see; NotFound otherwise (outside the scope included)."""
    contact = session.get(Contact, contact_id)
    if contact is None or not scope.allows(contact.region_id):
        raise NotFound("contact not found")
    return contact


def view_contact(session: Session, scope: Scope, contact_id: int, channel: str) -> Contact:
    """A contact's page or record, with the view written to the audit log."""
    contact = get_contact(session, scope, contact_id)
    record_audit(session, scope.user_id, "contact.view", "contact", contact.id, channel=channel)
    return contact


def consent_history(session: Session, contact: Contact) -> list[ConsentEvent]:
    """A contact's consent events, newest first."""
    stmt = (
        select(ConsentEvent)
        .where(ConsentEvent.contact_id == contact.id)
        .order_by(ConsentEvent.at.desc(), ConsentEvent.id.desc())
    )
    return list(session.execute(stmt).scalars())


def change_consent(
    session: Session,
    scope: Scope,
    contact_id: int,
    action: ConsentAction,
    channel: ConsentChannel,
    source: str,
) -> Contact:
    """Staff record an opt-out or an explicit opt-in (with its source) for a contact."""
    check(scope.role, CONSENT_ACTIONS[action])
    contact = get_contact(session, scope, contact_id)
    event = apply_consent(
        session, contact, action, channel, source, user_id=scope.user_id, explicit=True
    )
    session.flush()
    record_audit(
        session,
        scope.user_id,
        f"consent.{action.value}",
        "contact",
        contact.id,
        channel=channel.value,
        consent_event_id=event.id,
    )
    return contact
