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
    StrictFloat,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
)

from outreach.models import MAX_ID

MAX_BATCH = 1000
MAX_PER_PAGE = 500


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


class ResponseOut(Output):
    """A reply by SMS or a key press, and how it was read."""

    campaign_id: int | None = Field(description="The campaign it answered, if any")
    channel: str = Field(examples=["sms", "voice"])
    kind: Literal["answer", "callback", "opt_out", "opt_in", "help", "unrecognised"]
    option: str | None = Field(description="The reply option it was read as, if any")
    text: str = Field(description="What was sent or pressed")
    at: UtcTime


class CallbackOut(Output):
    """A request to be called back by a counsellor."""

    id: int
    status: Literal["open", "claimed", "done", "cancelled"]
    campaign_id: int | None
    created_at: UtcTime
    claimed_at: UtcTime | None
    completed_at: UtcTime | None
    outcome: str | None


class ContactDetail(ContactOut):
    consent_events: list[ConsentEventOut] = Field(description="Newest first.")
    responses: list[ResponseOut] = Field(description="Newest first.")
    callbacks: list[CallbackOut] = Field(description="Newest first.")


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


# --- campaigns --------------------------------------------------------------------------------

CampaignStatusValue = Literal[
    "draft", "scheduled", "running", "paused", "done", "cancelled", "missed"
]
RecurrenceValue = Literal["daily", "weekly", "monthly"]
MAX_TEXT = 1600  # the longest SMS body providers accept


def _utc_representable(value: datetime) -> datetime:
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the date is out of range") from None
    return value


SendAt = Annotated[AwareDatetime, AfterValidator(_utc_representable)]


class WindowIn(Input):
    """Hours in each recipient's local time; `start` inclusive, `end` exclusive."""

    start: _text(8, 1) = Field(examples=["09:00"], description="HH:MM")
    end: _text(8, 1) = Field(examples=["20:00"], description="HH:MM; `24:00` is allowed")


class WindowOut(Output):
    start: str = Field(examples=["09:00"])
    end: str = Field(examples=["20:00"])


class CampaignIn(Input):
    """A campaign to compose as a draft; `regions` or `lists` (or both) is required."""

    name: _text(200, 1)
    topic: _text(64, 1) = Field(examples=["irregular-migration", "hiv-testing", "job-fair"])
    channel: Literal["sms"]
    regions: Annotated[list[_text(32, 1)], Field(max_length=100)] = Field(
        default_factory=list, description="Region codes: every opted-in contact there"
    )
    lists: Annotated[list[Id], Field(max_length=100)] = Field(
        default_factory=list, description="Contact list ids"
    )
    texts: Annotated[dict[_text(32, 1), _text(MAX_TEXT)], Field(max_length=16)] = Field(
        default_factory=dict,
        description="Text per language code, overriding the topic's; others use the topic's.",
    )
    fields: Annotated[dict[_text(64, 1), _text(200)], Field(max_length=16)] = Field(
        default_factory=dict,
        description="Values of the topic's own placeholders, e.g. `event_date`.",
    )
    send_at: SendAt | None = Field(
        default=None, description="With its UTC offset; null: at launch."
    )
    recurrence: RecurrenceValue | None = None
    window: WindowIn | None = Field(
        default=None, description="Omitted: each recipient's region's window."
    )
    rate_per_second: Annotated[StrictFloat, Field(ge=1, le=100)] | None = Field(
        default=None, description="Messages a second per sender; 10 when omitted."
    )


class AudienceOut(Output):
    total: int = Field(description="Opted-in contacts in the audience now")
    by_language: dict[str, int]


class SegmentsOut(Output):
    encoding: Literal["GSM-7", "UCS-2"]
    segments: int = Field(description="SMS parts of the text (with a long sample name)")


class CostOut(Output):
    amount: float
    currency: str
    segments_by_country: dict[str, int]
    unpriced_countries: list[str] = Field(description="Countries without a price: not counted")


class CampaignCreated(Output):
    """The new draft and what launching it would take."""

    id: int
    status: CampaignStatusValue
    audience: AudienceOut
    segments: dict[str, SegmentsOut] = Field(description="By language")
    estimated_cost: float = Field(description="`cost.amount`, in `cost.currency`")
    cost: CostOut


class CampaignStatsOut(Output):
    """Each message counted once, in the status it has now (`held`: waiting for the window)."""

    audience: int
    queued: int
    held: int
    sending: int
    sent: int
    delivered: int
    failed: int
    undelivered: int
    interrupted: int
    replies: int
    opt_outs: int
    callbacks: int


class RunOut(Output):
    id: int
    scheduled_for: UtcTime
    status: Literal["pending", "sending", "done", "missed", "cancelled"]
    started_at: UtcTime | None
    fanned_out_at: UtcTime | None
    finished_at: UtcTime | None


class CampaignOut(Output):
    id: int
    name: str
    topic: str
    channel: Literal["sms", "voice"]
    status: CampaignStatusValue
    send_at: UtcTime | None
    recurrence: RecurrenceValue | None
    window: WindowOut | None = Field(description="null: each recipient's region's window")
    rate_per_second: float
    regions: list[str] = Field(description="Region codes")
    lists: list[int] = Field(description="List ids")
    next_run_at: UtcTime | None
    created_at: UtcTime
    launched_at: UtcTime | None
    finished_at: UtcTime | None


class CampaignDetail(CampaignOut):
    texts: dict[str, str] = Field(description="Text per language")
    fields: dict[str, str]
    stats: CampaignStatsOut
    runs: list[RunOut] = Field(description="One per firing, oldest first")


class CampaignQuery(Input):
    """Campaigns whose regions and lists the user may all see, newest first.

    `page` and `per_page` out of range are refused (422), not clamped.
    """

    status: CampaignStatusValue | None = None
    page: Annotated[int, Field(ge=1, le=MAX_ID)] = Field(default=1, description="From 1")
    per_page: Annotated[int, Field(ge=1, le=MAX_PER_PAGE)] = 50


class CampaignPage(Output):
    items: list[CampaignOut]
    total: int
    page: int


class NoBody(Input):
    """An action without parameters: send no body, or `{}`."""


class SendTestIn(Input):
    phone: _text(64, 1) = Field(
        description="A staff phone or simulator number; local formats use the region's country."
    )
    language: _text(32) | None = Field(
        default=None, description="Default: the first of the region's languages the text has."
    )


class SendTestOut(Output):
    message_id: int
    status: Literal["queued"]
    phone: str = Field(description="E.164")
    language: str
