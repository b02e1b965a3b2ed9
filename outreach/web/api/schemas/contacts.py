"""Contacts in the API: creating and updating them, their consent, answers and call-backs."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from outreach.models import MAX_ID
from outreach.web.api.schemas.common import (
    MAX_BATCH,
    MAX_PER_PAGE,
    ErrorOut,
    Input,
    Output,
    Text,
    UtcTime,
)

ConsentValue = Literal["opted_in", "opted_out"]


class ConsentIn(Input):
    source: Text(500, 1) = Field(
        description="Where and how consent was given", examples=["job fair Osh, paper form"]
    )
    at: AwareDatetime | None = Field(
        default=None, description="When it was given (with offset); defaults to now."
    )


class ContactIn(Input):
    """One contact to create, or to update when its number is already a contact."""

    phone: Text(64, 1) = Field(
        description="Any format; local formats are read with the region's country.",
        examples=["0300 1234567", "+996 555 123 456"],
    )
    region: Text(32, 1) = Field(examples=["pk-isb"])
    language: Text(32) | None = Field(
        default=None,
        description=(
            "A language code or name. Optional: a new contact gets the region's first language; "
            "an existing contact keeps its own."
        ),
    )
    name: Text(200) | None = Field(
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
    phone: str = Field(
        description="E.164; masked (`+92300*****67`) for a counsellor unless they hold the claim "
        "on the person's open call-back request",
        examples=["+923001234567"],
    )
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


class ResponseOut(Output):
    """A reply by SMS or a key press, and how it was read."""

    campaign_id: int | None = Field(description="The campaign it answered, if any")
    channel: str = Field(examples=["sms", "voice"])
    kind: Literal["answer", "callback", "opt_out", "opt_in", "help", "unrecognised"]
    option: str | None = Field(description="The reply option it was read as, if any")
    text: str = Field(description="What was sent or pressed (the key, for a key press)")
    node: str | None = Field(description="The voice menu node of a key press; null for SMS")
    at: UtcTime


class CallOut(Output):
    """A voice call to or from the contact."""

    id: int
    campaign_id: int | None
    direction: Literal["outbound", "inbound"]
    status: str = Field(examples=["completed", "no-answer", "retry-pending"])
    attempts: int = Field(description="Attempts the provider accepted")
    answered_by: str | None = Field(examples=["human", "machine_end_beep"])
    duration_seconds: int | None
    created_at: UtcTime


class CallbackOut(Output):
    """A request to be called back by a counsellor."""

    id: int
    status: Literal["open", "claimed", "done", "unreachable", "cancelled"]
    campaign_id: int | None
    created_at: UtcTime
    claimed_at: UtcTime | None
    completed_at: UtcTime | None
    outcome: str | None


class ContactDetail(ContactOut):
    consent_events: list[ConsentEventOut] = Field(description="Newest first.")
    responses: list[ResponseOut] = Field(description="Newest first.")
    callbacks: list[CallbackOut] = Field(description="Newest first.")
    calls: list[CallOut] = Field(description="Newest first.")


class ContactBatchOut(Output):
    """One element per item sent, in order: the contact, or that item's error."""

    items: list[ContactOut | ErrorOut]


class ContactQuery(Input):
    """Filters narrow the result; an unknown or invisible region or list gives an empty page.

    `page` and `per_page` out of range are refused (422), not clamped.
    """

    region: Text(32) | None = Field(default=None, description="Region code")
    consent: ConsentValue | None = None
    list: Annotated[int, Field(ge=1, le=MAX_ID)] | None = Field(default=None, description="List id")
    phone: Text(64) | None = Field(
        default=None, description="A number in international format; finds at most one contact."
    )
    page: Annotated[int, Field(ge=1, le=MAX_ID)] = Field(default=1, description="From 1")
    per_page: Annotated[int, Field(ge=1, le=MAX_PER_PAGE)] = 50


class ContactPage(Output):
    items: list[ContactOut]
    total: int
    page: int


class OptOutIn(Input):
    source: Text(500, 1) = Field(default="api", description="Defaults to `api`.")


class OptInIn(Input):
    """An explicit opt-in, recorded by staff: the only way an API user reverses an opt-out."""

    source: Text(500, 1) = Field(description="Where and how the person asked to opt back in.")
