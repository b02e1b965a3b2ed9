"""Contact lists: named groups of contacts within one region."""

from __future__ import annotations

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from outreach.access import Scope
from outreach.errors import Conflict, NotFound, ValidationFailed
from outreach.models import Contact, ContactList, Region, list_members
from outreach.permissions import Action, check


def clean_list_name(name: str | None) -> str:
    """A list name with spaces tidied; empty names are refused."""
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise ValidationFailed("a list needs a name", {"field": "name"})
    if len(cleaned) > 120:
        raise ValidationFailed("a list name is at most 120 characters", {"field": "name"})
    return cleaned


def get_or_create_list(session: Session, region: Region, name: str) -> ContactList:
    """The region's list of that name, created when it does not exist yet."""
    name = clean_list_name(name)
    found = session.execute(
        select(ContactList).where(ContactList.region_id == region.id, ContactList.name == name)
    ).scalar_one_or_none()
    if found is None:
        found = ContactList(region_id=region.id, name=name)
        session.add(found)
        session.flush()
    return found


def create_list(
    session: Session, scope: Scope, region: Region, name: str, description: str | None = None
) -> ContactList:
    """A new list in a region the user may see; a name already used there is a conflict."""
    check(scope.role, Action.LISTS_WRITE)
    scope.check(region.id, "region")
    name = clean_list_name(name)
    clash = session.execute(
        select(ContactList.id).where(ContactList.region_id == region.id, ContactList.name == name)
    ).first()
    if clash:
        raise Conflict(f"region {region.code} already has a list called {name!r}")
    contact_list = ContactList(region_id=region.id, name=name, description=description)
    session.add(contact_list)
    session.flush()
    return contact_list


def get_list(session: Session, scope: Scope, list_id: int) -> ContactList:
    """One list the user may see."""
    contact_list = session.get(ContactList, list_id)
    if contact_list is None or not scope.allows(contact_list.region_id):
        raise NotFound("list not found")
    return contact_list


def lists_with_counts(
    session: Session, scope: Scope, region_id: int | None = None
) -> list[tuple[ContactList, int]]:
    """The lists the user may see, each with its number of contacts."""
    count = func.count(list_members.c.contact_id)
    stmt = (
        select(ContactList, count)
        .outerjoin(list_members, list_members.c.list_id == ContactList.id)
        .group_by(ContactList.id)
        .order_by(ContactList.region_id, ContactList.name)
    )
    stmt = scope.apply(stmt, ContactList.region_id)
    if region_id is not None:
        stmt = stmt.where(ContactList.region_id == region_id)
    return [(row[0], row[1]) for row in session.execute(stmt)]


def count_members(session: Session, contact_list: ContactList) -> int:
    """How many contacts a list has."""
    return session.execute(
        select(func.count()).where(list_members.c.list_id == contact_list.id)
    ).scalar_one()


def add_contacts_to_list(
    session: Session, scope: Scope, list_id: int, contact_ids: list[int]
) -> tuple[ContactList, int]:
    """Put contacts of the list's region in a list the user may see; the list and how many were new.

    Unknown contacts and contacts the user may not see are NotFound; contacts of another region
    are refused. Nothing is added unless every id is good.
    """
    check(scope.role, Action.LISTS_WRITE)
    contact_list = get_list(session, scope, list_id)
    wanted = set(contact_ids)
    regions = dict(
        session.execute(select(Contact.id, Contact.region_id).where(Contact.id.in_(wanted))).all()
    )
    missing = sorted(cid for cid in wanted if cid not in regions or not scope.allows(regions[cid]))
    if missing:
        raise NotFound("contact not found", {"contact_ids": missing})
    elsewhere = sorted(cid for cid in wanted if regions[cid] != contact_list.region_id)
    if elsewhere:
        raise ValidationFailed(
            f"contacts of another region cannot join a list of {contact_list.region.code}",
            {"contact_ids": elsewhere},
        )
    present = set(
        session.execute(
            select(list_members.c.contact_id).where(
                list_members.c.list_id == contact_list.id, list_members.c.contact_id.in_(wanted)
            )
        ).scalars()
    )
    new = sorted(wanted - present)
    if new:
        session.execute(
            insert(list_members), [{"list_id": contact_list.id, "contact_id": cid} for cid in new]
        )
    return contact_list, len(new)
