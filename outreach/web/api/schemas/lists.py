"""Contact lists in the API."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from outreach.web.api.schemas.common import MAX_BATCH, Id, Input, Output, Text, UtcTime


class ListQuery(Input):
    """`region` narrows to one region; an unknown or invisible region is 404."""

    region: Text(32) | None = Field(default=None, description="Region code")


class ListIn(Input):
    region: Text(32, 1)
    name: Text(120, 1)
    description: Text(2000) | None = None


class ListOut(Output):
    id: int
    region: str
    name: str
    description: str | None
    contacts: int = Field(description="Number of contacts in the list")
    created_at: UtcTime


class ListList(Output):
    items: list[ListOut]


class ListMembersIn(Input):
    contact_ids: Annotated[list[Id], Field(min_length=1, max_length=MAX_BATCH)] = Field(
        description="Contacts of the list's region that the user may see."
    )


class ListMembersOut(Output):
    added: int = Field(description="Contacts newly put in the list")
    list: ListOut
