"""Set-based upsert of many contacts of one region: the engine under CSV import and the API.

One phone number is one contact: a number seen again updates the contact, never duplicates it.
An opted-out number is reported and left exactly as it is (an opt-out stands).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from outreach.access import Scope
from outreach.contacts.consent import OPTED_OUT_STANDS
from outreach.contacts.lists import get_or_create_list
from outreach.models import (
    ConsentAction,
    ConsentChannel,
    ConsentEvent,
    ConsentState,
    Contact,
    Region,
    list_members,
    utcnow,
)

CREATED = "created"
UPDATED = "updated"
REJECTED = "rejected"
HELD_ELSEWHERE = "number is a contact of another MRC"


@dataclass(frozen=True, slots=True)
class ContactRow:
    """One contact to upsert: `key` is the caller's (line number, list index); phone is E.164."""

    key: int
    phone: str
    language: str | None = None
    name: str | None = None
    list_names: tuple[str, ...] = ()


@dataclass(slots=True)
class RowOutcome:
    key: int
    status: str
    contact_id: int | None = None
    reason: str | None = None


@dataclass
class ConsentStamp:
    """How consent was given for new contacts: channel, source text, who and when."""

    channel: ConsentChannel
    source: str
    user_id: int | None = None
    at: datetime | None = None
    recorded_at: datetime = field(default_factory=utcnow)


def upsert_contacts(
    session: Session,
    scope: Scope,
    region: Region,
    rows: Sequence[ContactRow],
    consent: ConsentStamp,
) -> list[RowOutcome]:
    """Create or update `rows` (distinct phones) in `region`; one outcome per row, in order."""
    if not rows:
        return []
    existing = _existing_by_phone(session, [r.phone for r in rows])
    outcomes: dict[int, RowOutcome] = {}
    new_rows, changes = [], []
    for row in rows:
        current = existing.get(row.phone)
        if current is None:
            new_rows.append(row)
        elif current.region_id != region.id and not scope.allows(current.region_id):
            # Checked first: a contact of a region the user cannot see tells nothing about itself.
            outcomes[row.key] = RowOutcome(row.key, REJECTED, None, HELD_ELSEWHERE)
        elif current.consent == ConsentState.OPTED_OUT:
            outcomes[row.key] = RowOutcome(row.key, REJECTED, current.id, OPTED_OUT_STANDS)
        else:
            outcomes[row.key] = RowOutcome(row.key, UPDATED, current.id)
            changes.append(_change(current, row, region))
    for row, contact_id in zip(
        new_rows, _insert_new(session, region, new_rows, consent), strict=True
    ):
        outcomes[row.key] = RowOutcome(row.key, CREATED, contact_id)
    if changes:
        session.execute(update(Contact), changes)
    _add_to_lists(session, region, rows, outcomes)
    return [outcomes[row.key] for row in rows]


def _existing_by_phone(session: Session, phones: list[str]) -> dict:
    stmt = select(
        Contact.id,
        Contact.phone,
        Contact.region_id,
        Contact.consent,
        Contact.name,
        Contact.language,
    ).where(Contact.phone.in_(phones))
    return {r.phone: r for r in session.execute(stmt)}


def _change(current, row: ContactRow, region: Region) -> dict:
    return {
        "id": current.id,
        "region_id": region.id,
        "name": row.name or current.name,
        "language": row.language or current.language,
        "updated_at": utcnow(),
    }


def _insert_new(
    session: Session, region: Region, rows: list[ContactRow], consent: ConsentStamp
) -> list[int]:
    """Insert new opted-in contacts and their opt-in events; their ids, in row order."""
    if not rows:
        return []
    now = consent.recorded_at
    given_at = consent.at or now
    values = [
        {
            "phone": r.phone,
            "region_id": region.id,
            "language": r.language or region.default_language,
            "name": r.name,
            "consent": ConsentState.OPTED_IN.value,
            "consent_changed_at": given_at,
            "created_at": now,
            "updated_at": now,
        }
        for r in rows
    ]
    stmt = insert(Contact).returning(Contact.id, sort_by_parameter_order=True)
    ids = list(session.execute(stmt, values).scalars())
    events = [
        {
            "contact_id": contact_id,
            "action": ConsentAction.OPT_IN.value,
            "channel": consent.channel.value,
            "source": consent.source,
            "user_id": consent.user_id,
            "at": given_at,
            "recorded_at": now,
        }
        for contact_id in ids
    ]
    session.execute(insert(ConsentEvent), events)
    return ids


def _add_to_lists(
    session: Session, region: Region, rows: Iterable[ContactRow], outcomes: dict[int, RowOutcome]
) -> None:
    """Put each accepted row's contact in its lists, creating lists by name as needed."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        outcome = outcomes[row.key]
        if outcome.status != REJECTED:
            for name in row.list_names:
                wanted[name].add(outcome.contact_id)
    for name, contact_ids in wanted.items():
        contact_list = get_or_create_list(session, region, name)
        present = set(
            session.execute(
                select(list_members.c.contact_id).where(
                    list_members.c.list_id == contact_list.id,
                    list_members.c.contact_id.in_(contact_ids),
                )
            ).scalars()
        )
        missing = [{"list_id": contact_list.id, "contact_id": cid} for cid in contact_ids - present]
        if missing:
            session.execute(insert(list_members), missing)
