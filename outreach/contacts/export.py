"""Exporting the contacts a search finds as CSV: audited first, then streamed in batches."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import asdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from outreach.access import Scope
from outreach.audit import record_audit
from outreach.contacts.service import ContactFilters, contacts_query
from outreach.models import Contact
from outreach.permissions import Action, check

EXPORT_COLUMNS = ("phone", "name", "region", "language", "consent", "lists")
BATCH_SIZE = 1000
# A spreadsheet would run a cell starting with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def begin_export(session: Session, scope: Scope, filters: ContactFilters) -> int:
    """Check the user may export, count the contacts and audit the export; the count."""
    check(scope.role, Action.CONTACTS_EXPORT)
    stmt = contacts_query(session, scope, filters)
    count = session.execute(
        select(func.count()).select_from(stmt.order_by(None).subquery())
    ).scalar_one()
    filters_given = {k: v for k, v in asdict(filters).items() if v not in (None, "")}
    record_audit(
        session,
        scope.user_id,
        "contacts.export",
        "contact",
        None,
        filters=filters_given,
        count=count,
    )
    return count


def export_lines(session: Session, scope: Scope, filters: ContactFilters) -> Iterator[str]:
    """The CSV text, a header and then one line per contact, read in batches by id."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    yield "\ufeff" + _drain(buffer)  # the BOM lets spreadsheets read Cyrillic and Arabic script
    last_id = None
    while True:
        stmt = contacts_query(session, scope, filters).options(selectinload(Contact.lists))
        if last_id is not None:
            stmt = stmt.where(Contact.id > last_id)
        batch = list(session.execute(stmt.order_by(Contact.id).limit(BATCH_SIZE)).scalars())
        if not batch:
            return
        for contact in batch:
            writer.writerow(_row(contact))
        # Only the last id is kept: the identity map holds contacts weakly, so memory stays flat.
        last_id = batch[-1].id
        del batch
        yield _drain(buffer)


def _row(contact: Contact) -> list[str]:
    return [
        contact.phone,
        _cell(contact.name or ""),
        contact.region.code,
        contact.language,
        str(contact.consent),
        _cell("; ".join(sorted(lst.name for lst in contact.lists))),
    ]


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
