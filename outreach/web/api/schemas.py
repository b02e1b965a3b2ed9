"""The API's request and response models; the OpenAPI document is generated from them.

Unknown fields are refused everywhere (422), in bodies and in query strings alike, so a typo
never silently widens a search or drops a value.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
)

MAX_BATCH = 1000
MAX_PER_PAGE = 500
MAX_ID = 2**31 - 1


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _text(max_length: int, min_length: int = 0):
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(_no_nul),
    ]


def _iso_utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
UtcTime = Annotated[
    datetime,
    PlainSerializer(_iso_utc, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
ConsentValue = Literal["opted_in", "opted_out"]


class Input(BaseModel):
    """Base of request models: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class Output(BaseModel):
    """Base of response models."""


# --- errors -----------------------------------------------------------------------------------


class ErrorDetail(Output):
    code: str = Field(examples=["validation_failed"])
    message: str
    details: object = Field(
        default=None,
        description="For validation errors a list of `{field, message, type}`; else free form.",
    )


class ErrorOut(Output):
    """Every 4xx answer has this shape."""

    error: ErrorDetail


# --- regions ----------------------------------------------------------------------------------


class RegionOut(Output):
    code: str = Field(examples=["pk-isb"])
    name: str
    country: str = Field(description="ISO 3166 alpha-2", examples=["PK"])
    timezone: str = Field(examples=["Asia/Karachi"])
    languages: list[str] = Field(description="The first is the default for new contacts.")


class RegionList(Output):
    items: list[RegionOut]


# --- contacts ---------------------------------------------------------------------------------


class ConsentIn(Input):
    source: _text(500, 1) = Field(
        description="Where and how consent was given", examples=["job fair Osh, paper form"]
    )
    at: AwareDatetime | None = Field(
        default=None, description="When it was given (with offset); defaults to now."
    )


class ContactIn(Input):
    """One contact to create, or to update when its number is already a contact."""

    phone: _text(64, 1) = Field(
        description="Any format; local formats are read with the region's country.",
        examples=["0300 1234567", "+996 555 123 456"],
    )
    region: _text(32, 1) = Field(examples=["pk-isb"])
    language: _text(32) | None = Field(
        default=None,
        description=(
            "A language code or name. Optional: a new contact gets the region's first language; "
            "an existing contact keeps its own."
        ),
    )
    name: _text(200) | None = Field(
        default=None, description="Optional; when absent an existing contact keeps its name."
    )
    consent: ConsentIn = Field(
        description="Recorded as the opt-in of a new contact. An opt-out stands: an opted-out "
        "number is not re-subscribed (its item is the error `opted_out`)."
    )


ContactsIn = Annotated[
    ContactIn | Annotated[list[ContactIn], Field(max_length=MAX_BATCH)],
    Field(description=f"One contact, or a list of up to {MAX_BATCH}."),
]


class ContactOut(Output):
    id: int
    phone: str = Field(description="E.164", examples=["+923001234567"])
    region: str
    language: str
    name: str | None
    consent: ConsentValue


class ConsentEventOut(Output):
    action: Literal["opt_in", "opt_out"]
    channel: Literal["import", "web", "sms", "ivr", "api"]
    source: str
    at: UtcTime
    user: str | None = Field(description="Email of the staff member who recorded it, if any.")


class ContactDetail(ContactOut):
    consent_events: list[ConsentEventOut] = Field(description="Newest first.")


class ContactBatchOut(Output):
    """One element per item sent, in order: the contact, or that item's error."""

    items: list[ContactOut | ErrorOut]


class ContactQuery(Input):
    """Filters narrow the result; an unknown or invisible region or list gives an empty page.

    `page` and `per_page` out of range are refused (422), not clamped.
    """

    region: _text(32) | None = Field(default=None, description="Region code")
    consent: ConsentValue | None = None
    list: Annotated[int, Field(ge=1, le=MAX_ID)] | None = Field(default=None, description="List id")
    phone: _text(64) | None = Field(
        default=None, description="A number in international format; finds at most one contact."
    )
    page: Annotated[int, Field(ge=1, le=MAX_ID)] = Field(default=1, description="From 1")
    per_page: Annotated[int, Field(ge=1, le=MAX_PER_PAGE)] = 50


class ContactPage(Output):
    items: list[ContactOut]
    total: int
    page: int


class OptOutIn(Input):
    source: _text(500, 1) = Field(default="api", description="Defaults to `api`.")


class OptInIn(Input):
    """An explicit opt-in, recorded by staff: the only way an API user reverses an opt-out."""

    source: _text(500, 1) = Field(description="Where and how the person asked to opt back in.")


# --- lists ------------------------------------------------------------------------------------


class ListQuery(Input):
    """`region` narrows to one region; an unknown or invisible region is 404."""

    region: _text(32) | None = Field(default=None, description="Region code")


class ListIn(Input):
    region: _text(32, 1)
    name: _text(120, 1)
    description: _text(2000) | None = None


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
