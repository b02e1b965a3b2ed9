"""Contact lists through the API."""

from __future__ import annotations

from outreach.contacts.lists import (
    add_contacts_to_list,
    count_members,
    create_list,
    get_list,
    lists_with_counts,
)
from outreach.extensions import db
from outreach.models import ContactList
from outreach.permissions import Action
from outreach.regions import region_by_code
from outreach.web.api import current_scope, registry
from outreach.web.api.schemas.lists import (
    ListIn,
    ListList,
    ListMembersIn,
    ListMembersOut,
    ListOut,
    ListQuery,
)

LIST = "/lists/<int:list_id>"


def list_out(contact_list: ContactList, size: int) -> ListOut:
    """A list as the API shows it."""
    return ListOut(
        id=contact_list.id,
        region=contact_list.region.code,
        name=contact_list.name,
        description=contact_list.description,
        contacts=size,
        created_at=contact_list.created_at,
    )


@registry.route(
    "GET",
    "/lists",
    query=ListQuery,
    responses={200: ListList},
    tag="lists",
    action=Action.LISTS_READ,
)
def get_lists(query: ListQuery):
    """The lists the user may see, with their sizes; `region` narrows to one region."""
    scope = current_scope()
    region_id = region_by_code(db.session, scope, query.region).id if query.region else None
    rows = lists_with_counts(db.session, scope, region_id)
    return ListList(items=[list_out(lst, size) for lst, size in rows]), 200


@registry.route(
    "POST",
    "/lists",
    body=ListIn,
    responses={201: ListOut},
    tag="lists",
    action=Action.LISTS_WRITE,
)
def post_list(body: ListIn):
    """Create a list in a region the user may see."""
    scope = current_scope()
    region = region_by_code(db.session, scope, body.region)
    contact_list = create_list(db.session, scope, region, body.name, body.description or None)
    db.session.commit()
    return list_out(contact_list, 0), 201


@registry.route("GET", LIST, responses={200: ListOut}, tag="lists", action=Action.LISTS_READ)
def get_one_list(list_id: int):
    """One list with its size."""
    contact_list = get_list(db.session, current_scope(), list_id)
    return list_out(contact_list, count_members(db.session, contact_list)), 200


@registry.route(
    "POST",
    LIST + "/contacts",
    body=ListMembersIn,
    responses={200: ListMembersOut},
    tag="lists",
    action=Action.LISTS_WRITE,
)
def post_list_contacts(list_id: int, body: ListMembersIn):
    """Put contacts of the list's region in the list; all or nothing."""
    contact_list, added = add_contacts_to_list(
        db.session, current_scope(), list_id, body.contact_ids
    )
    size = count_members(db.session, contact_list)
    db.session.commit()
    return ListMembersOut(added=added, list=list_out(contact_list, size)), 200
