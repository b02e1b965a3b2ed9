"""Set-based upsert of many contacts of one region: the engine under CSV import and the API.

One phone number is one contact: a number seen again updates the contact, never duplicates it.
An opted-out number is reported and left exactly as it is (an opt-out stands).

A number the caller may not use — a contact of a region outside their scope, or an MRC's own
hotline or sender number — gets one and the same refusal, `NUMBER_UNAVAILABLE`, which names no
region and no contact: nobody learns from it which MRC holds a number, or its consent.

Two paths write the same rows (tests/contacts/test_upsert_paths.py compares them). PostgreSQL
decides and writes a chunk's contacts and opt-in events in one statement (`upsert_postgres`);
SQLite takes steps: look the numbers up, decide here, insert, update. Both then add the accepted
rows' list memberships in one statement (two when a chunk also updates contacts).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import (
    Integer,
    String,
    bindparam,
    cast,
    insert,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from outreach.access import Scope
from outreach.contacts import upsert_postgres
from outreach.contacts.consent import OPTED_OUT_STANDS
from outreach.contacts.json_rows import rows_json, rows_table, table_of_rows
from outreach.contacts.lists import get_or_create_list
from outreach.contacts.phones import InvalidPhone, normalise_phone
from outreach.errors import Conflict
from outreach.models import (
    ConsentAction,
    ConsentChannel,
    ConsentEvent,
    ConsentState,
    Contact,
    ContactList,
    Region,
    list_members,
    utcnow,
)

CREATED = "created"
UPDATED = "updated"
REJECTED = "rejected"
NUMBER_UNAVAILABLE = "number not available: it cannot be added or changed from your regions"


class NumberUnavailable(Conflict):
    """A number the caller may not use; the same refusal whatever the reason."""

    code = "number_unavailable"

    def __init__(self) -> None:
        super().__init__(NUMBER_UNAVAILABLE)


class ContactRow(NamedTuple):
    """One contact to upsert: `key` is the caller's (line number, list index); phone is E.164.

    A named tuple, not a dataclass: an import's rows cross a pipe from the forked file reader,
    and a tuple unpickles several times faster than a frozen dataclass.
    """

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
    *,
    reserved: frozenset[str] | None = None,
) -> list[RowOutcome]:
    """Create or update `rows` (distinct phones) in `region`; one outcome per row, in order.

    `reserved` is `mrc_numbers(session)` when the caller has it already (an import reads it
    once, not for every chunk).
    """
    if not rows:
        return []
    if reserved is None:
        reserved = mrc_numbers(session)
    if _is_postgresql(session):
        outcomes = _upsert_in_one_statement(session, scope, region, rows, consent, reserved)
    else:
        outcomes = _upsert_in_steps(session, scope, region, rows, consent, reserved)
    _add_to_lists(session, region, rows, outcomes)
    return [outcomes[row.key] for row in rows]


# What each fate named by PostgreSQL's one statement is reported as: (status, reason).
_FATES = {
    upsert_postgres.CREATED: (CREATED, None),
    upsert_postgres.UPDATED: (UPDATED, None),
    upsert_postgres.OPTED_OUT: (REJECTED, OPTED_OUT_STANDS),
    upsert_postgres.UNAVAILABLE: (REJECTED, NUMBER_UNAVAILABLE),
}


def _upsert_in_one_statement(
    session: Session,
    scope: Scope,
    region: Region,
    rows: Sequence[ContactRow],
    consent: ConsentStamp,
    reserved: frozenset[str],
) -> dict[int, RowOutcome]:
    """PostgreSQL: the rules of `_upsert_in_steps`, decided and written by one statement."""
    outcomes = {}
    for key, fate, contact_id in upsert_postgres.upsert_chunk(
        session, scope, region, rows, consent, reserved
    ):
        status, reason = _FATES[fate]
        outcomes[key] = RowOutcome(key, status, contact_id, reason)
    return outcomes


def _upsert_in_steps(
    session: Session,
    scope: Scope,
    region: Region,
    rows: Sequence[ContactRow],
    consent: ConsentStamp,
    reserved: frozenset[str],
) -> dict[int, RowOutcome]:
    """Any database (SQLite's path): look the numbers up, decide here, insert, update."""
    existing = _existing_by_phone(session, [r.phone for r in rows])
    outcomes: dict[int, RowOutcome] = {}
    new_rows, changes = [], []
    for row in rows:
        current = existing.get(row.phone)
        if row.phone in reserved or _held_outside(current, region, scope):
            # Checked first: a contact of a region the user cannot see tells nothing about itself.
            outcomes[row.key] = RowOutcome(row.key, REJECTED, None, NUMBER_UNAVAILABLE)
        elif current is None:
            new_rows.append(row)
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
    return outcomes


def _held_outside(current, region: Region, scope: Scope) -> bool:
    """Whether the number is a contact of a region the caller may not see."""
    return (
        current is not None
        and current.region_id != region.id
        and not scope.allows(current.region_id)
    )


def mrc_numbers(session: Session) -> frozenset[str]:
    """The MRCs' own numbers (hotlines and senders) in E.164: never a contact's number."""
    numbers = set()
    for country, *values in session.execute(
        select(Region.country, Region.phone, Region.sender_number)
    ):
        for value in filter(None, values):
            try:
                numbers.add(normalise_phone(value, country))
            except InvalidPhone:
                continue  # a number no contact can have either
    return frozenset(numbers)


def _existing_by_phone(session: Session, phones: list[str]) -> dict:
    """The contacts already holding these numbers: one index lookup per number."""
    contacts = Contact.__table__
    given = rows_table(session, {"phone": phones})
    stmt = select(
        contacts.c.id,
        contacts.c.phone,
        contacts.c.region_id,
        contacts.c.consent,
        contacts.c.name,
        contacts.c.language,
    ).select_from(given.join(contacts, contacts.c.phone == given.c.phone))
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
    new_contacts = _insert_contacts(session, region, rows, given_at, now)
    events = ConsentEvent.__table__
    event = {
        "action": ConsentAction.OPT_IN.value,
        "channel": consent.channel.value,
        "source": consent.source,
        "user_id": consent.user_id,
        "at": given_at,
        "recorded_at": now,
    }
    constants = [_constant(session, events.c[name], value) for name, value in event.items()]
    columns = ["contact_id", *event]
    id_by_phone = dict(session.execute(new_contacts).all())
    ids = [id_by_phone[r.phone] for r in rows]
    # The events are read from the new ids as given, not looked up in contacts again.
    new_ids = rows_table(session, {"id": ids}, {"id": Integer})
    session.execute(insert(events).from_select(columns, select(new_ids.c.id, *constants)))
    return ids


def _insert_contacts(
    session: Session, region: Region, rows: list[ContactRow], given_at: datetime, now: datetime
):
    """The INSERT … SELECT … RETURNING (phone, id) of new opted-in contacts, not yet run."""
    contacts = Contact.__table__
    language = region.default_language
    given = rows_table(
        session,
        {
            "phone": [r.phone for r in rows],
            "language": [r.language or language for r in rows],
            "name": [r.name for r in rows],
        },
    )
    constants = {
        name: _constant(session, contacts.c[name], value)
        for name, value in (
            ("region_id", region.id),
            ("consent", ConsentState.OPTED_IN.value),
            ("consent_changed_at", given_at),
            ("created_at", now),
            ("updated_at", now),
        )
    }
    stmt = insert(contacts).from_select(
        ["phone", "language", "name", *constants],
        select(given.c.phone, given.c.language, given.c.name, *constants.values()),
    )
    return stmt.returning(contacts.c.phone, contacts.c.id)


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# Each dialect's INSERT, which knows `ON CONFLICT DO NOTHING`.
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _constant(session: Session, column, value):
    """`value` as a bound constant of `column`'s type, for the select list of INSERT … SELECT.

    PostgreSQL needs the type spelled out there (an untyped parameter would be text); SQLite
    must not get a CAST, which would turn a datetime string into a number.
    """
    bound = literal(value, column.type)
    return cast(bound, column.type) if _is_postgresql(session) else bound


def _add_to_lists(
    session: Session, region: Region, rows: Iterable[ContactRow], outcomes: dict[int, RowOutcome]
) -> None:
    """Put each accepted row's contact in its lists, creating lists by name as needed."""
    accepted = []
    for row in rows:
        outcome = outcomes[row.key]
        if row.list_names and outcome.status != REJECTED:
            accepted.append((outcome, row.list_names))
    if not accepted:
        return
    list_ids = _list_ids(session, region, {name for _, names in accepted for name in names})
    joining, rejoining = set(), set()  # (list, contact): contacts new in this chunk, and others
    for outcome, names in accepted:
        pairs = joining if outcome.status == CREATED else rejoining
        for name in names:
            pairs.add((list_ids[name], outcome.contact_id))
    _insert_members(session, joining, skip_members=False)
    _insert_members(session, rejoining, skip_members=True)


def _insert_members(session: Session, pairs: set[tuple[int, int]], *, skip_members: bool) -> None:
    """Insert (list, contact) pairs in one statement, in primary-key order.

    The pairs are given as they are: the contacts are not read again (their foreign keys are
    checked all the same). A contact created in this chunk is in no list yet, so its pairs are
    inserted plainly. A contact held before may be a member already: `skip_members` skips it by
    the primary key (`ON CONFLICT DO NOTHING`, one index probe per row, which costs a sixth more
    than a plain insert); an anti-join against the list would read the whole list every chunk.
    """
    if not pairs:
        return
    list_ids, contact_ids = zip(*sorted(pairs), strict=True)
    insert_members = _members_insert(session.get_bind().dialect.name, skip_members)
    session.execute(insert_members, {"rows": rows_json(list_ids, contact_ids)})


@functools.cache
def _members_insert(dialect: str, skip_members: bool):
    """`INSERT INTO list_members` of the (list, contact) rows bound as `rows`, built once: built
    anew for every chunk, it cost the writer twice what running it does."""
    given = table_of_rows(
        dialect,
        bindparam("rows", type_=String),
        ("list_id", "contact_id"),
        {"list_id": Integer, "contact_id": Integer},
    )
    # (`WHERE true`: SQLite would read a bare `FROM … ON CONFLICT` as a join's ON.)
    members = select(given.c.list_id, given.c.contact_id).where(true())
    insert_members = _INSERTS[dialect](list_members).from_select(["list_id", "contact_id"], members)
    return insert_members.on_conflict_do_nothing() if skip_members else insert_members


def _list_ids(session: Session, region: Region, names: set[str]) -> dict[str, int]:
    """The region's lists of these names by name, created as needed (a list only comes to be
    when an accepted row names it). Those that exist are read in one query: a chunk names the
    same few lists as the chunk before."""
    found = dict(
        session.execute(_LISTS_NAMED, {"region_id": region.id, "names": list(names)}).all()
    )
    for name in names - found.keys():
        found[name] = get_or_create_list(session, region, name).id
    return found


_LISTS_NAMED = select(ContactList.name, ContactList.id).where(
    ContactList.region_id == bindparam("region_id"),
    ContactList.name.in_(bindparam("names", expanding=True)),
)
