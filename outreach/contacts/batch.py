"""Upserting contacts given loosely (raw phone, region code, language name), one error per item.

The API's `POST /contacts` sits on this: items are checked one by one, then grouped by region and
consent stamp and handed to the set-based engine in `outreach.contacts.upsert`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach.access import Scope
from outreach.contacts.consent import OPTED_OUT_STANDS, OptOutStands
from outreach.contacts.phones import InvalidPhone, normalise_phone
from outreach.contacts.upsert import (
    CREATED,
    REJECTED,
    ConsentStamp,
    ContactRow,
    NumberUnavailable,
    RowOutcome,
    upsert_contacts,
)
from outreach.errors import Conflict, ServiceError, ValidationFailed
from outreach.languages import parse_language
from outreach.models import ConsentChannel, Contact, Region
from outreach.permissions import Action, check
from outreach.regions import region_by_code

# Clocks disagree a little; a consent time further ahead than this is a mistake.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class ContactItem:
    """One contact as a caller gives it; `consent_at` defaults to the time of the request."""

    phone: str
    region: str
    consent_source: str
    language: str | None = None
    name: str | None = None
    consent_at: datetime | None = None


@dataclass
class ItemResult:
    """The fate of one item: its contact (created or updated), or its error."""

    contact: Contact | None = None
    contact_id: int | None = None
    created: bool = False
    error: ServiceError | None = None


@dataclass(frozen=True)
class _Checked:
    region: Region
    row: ContactRow
    stamp_key: tuple[str, datetime | None]


def upsert_contact_items(
    session: Session,
    scope: Scope,
    items: Sequence[ContactItem | ServiceError],
    channel: ConsentChannel,
    now: datetime,
) -> list[ItemResult]:
    """Create or update each item's contact; an item already known to be bad keeps its error."""
    check(scope.role, Action.CONTACTS_WRITE)
    results = [ItemResult(error=item if isinstance(item, ServiceError) else None) for item in items]
    groups: dict[tuple, list[ContactRow]] = defaultdict(list)
    regions: dict[int, Region] = {}
    first_seen: dict[str, int] = {}
    for index, item in enumerate(items):
        if results[index].error is not None:
            continue
        try:
            checked = _check(session, scope, item, index, now)
        except ServiceError as exc:
            results[index].error = exc
            continue
        if checked.row.phone in first_seen:
            results[index].error = _repeated(first_seen[checked.row.phone])
            continue
        first_seen[checked.row.phone] = index
        regions[checked.region.id] = checked.region
        groups[(checked.region.id, *checked.stamp_key)].append(checked.row)
    for (region_id, source, at), rows in groups.items():
        stamp = ConsentStamp(channel=channel, source=source, user_id=scope.user_id, at=at)
        for outcome in upsert_contacts(session, scope, regions[region_id], rows, stamp):
            _settle(results[outcome.key], outcome)
    _attach_contacts(session, results)
    return results


def _check(
    session: Session, scope: Scope, item: ContactItem, index: int, now: datetime
) -> _Checked:
    """The item's region, normalised row and consent stamp, or its error."""
    region = region_by_code(session, scope, item.region)
    try:
        phone = normalise_phone(item.phone, region.country)
    except InvalidPhone as exc:
        raise InvalidPhone(exc.message, [_field("phone", exc.message)]) from None
    language = None
    if item.language:
        language = parse_language(item.language)
        if language is None:
            message = f"unknown language {item.language!r}"
            raise ValidationFailed(message, [_field("language", message)])
    if item.consent_at is not None and item.consent_at > now + CLOCK_SKEW:
        message = "consent cannot be given in the future"
        raise ValidationFailed(message, [_field("consent.at", message)])
    source = (item.consent_source or "").strip()
    if not source:
        message = "consent needs its source"
        raise ValidationFailed(message, [_field("consent.source", message)])
    row = ContactRow(key=index, phone=phone, language=language, name=item.name or None)
    return _Checked(region, row, (source, item.consent_at))


def _field(name: str, message: str) -> dict:
    return {"field": name, "message": message}


def _repeated(first: int) -> Conflict:
    return Conflict(
        f"the same number as item {first} of this request",
        [{**_field("phone", "repeated in this request"), "first_item": first}],
        code="duplicate_in_request",
    )


def _settle(result: ItemResult, outcome: RowOutcome) -> None:
    if outcome.status != REJECTED:
        result.created = outcome.status == CREATED
        result.contact_id = outcome.contact_id
    elif outcome.reason == OPTED_OUT_STANDS:
        result.error = OptOutStands()
        result.error.details = {"id": outcome.contact_id}
    else:
        result.error = NumberUnavailable()


def _attach_contacts(session: Session, results: list[ItemResult]) -> None:
    """Load the contacts fresh: the engine wrote them with bulk statements."""
    ids = [r.contact_id for r in results if r.contact_id is not None]
    if not ids:
        return
    stmt = select(Contact).where(Contact.id.in_(ids)).execution_options(populate_existing=True)
    by_id = {c.id: c for c in session.execute(stmt).scalars()}
    for result in results:
        if result.contact_id is not None:
            result.contact = by_id[result.contact_id]
