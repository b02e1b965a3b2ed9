"""Campaigns in the API: composing, their runs and stats, and test sends."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, Field, StrictFloat

from outreach.models import MAX_ID
from outreach.web.api.schemas.common import (
    MAX_PER_PAGE,
    Id,
    Input,
    Output,
    Text,
    UtcTime,
)

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

    start: Text(8, 1) = Field(examples=["09:00"], description="HH:MM")
    end: Text(8, 1) = Field(examples=["20:00"], description="HH:MM; `24:00` is allowed")


class WindowOut(Output):
    start: str = Field(examples=["09:00"])
    end: str = Field(examples=["20:00"])


class RetriesIn(Input):
    """How busy and unanswered calls are tried again."""

    max: Annotated[int, Field(ge=0, le=5)] = Field(default=2, description="Retries after the first")
    interval_minutes: Annotated[float, Field(ge=0, le=7 * 24 * 60, allow_inf_nan=False)] = Field(
        default=30, description="Minutes between attempts; fractions allowed"
    )


class CampaignIn(Input):
    """A campaign to compose as a draft; `regions` or `lists` (or both) is required.

    A voice campaign (`"channel": "voice"`) takes neither `texts` nor `rate_per_second`, and may
    give `calls_per_second`, `retries` and `machine`.
    """

    name: Text(200, 1)
    topic: Text(64, 1) = Field(examples=["irregular-migration", "hiv-testing", "job-fair"])
    channel: Literal["sms", "voice"]
    regions: Annotated[list[Text(32, 1)], Field(max_length=100)] = Field(
        default_factory=list, description="Region codes: every opted-in contact there"
    )
    lists: Annotated[list[Id], Field(max_length=100)] = Field(
        default_factory=list, description="Contact list ids"
    )
    texts: Annotated[dict[Text(32, 1), Text(MAX_TEXT)], Field(max_length=16)] = Field(
        default_factory=dict,
        description="Text per language code, overriding the topic's; others use the topic's.",
    )
    fields: Annotated[dict[Text(64, 1), Text(200)], Field(max_length=16)] = Field(
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
    calls_per_second: Annotated[float, Field(ge=0.1, le=20, allow_inf_nan=False)] | None = Field(
        default=None, description="Voice: calls started a second, all workers together; 1."
    )
    retries: RetriesIn | None = Field(default=None, description="Voice: busy and no-answer")
    machine: Literal["message", "hangup"] | None = Field(
        default=None,
        description="Voice: on an answering machine leave the topic's short message, or hang "
        "up and count it as no answer; null: no machine detection.",
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


class MissingPromptOut(Output):
    language: str
    topic: str
    prompt: str


class PromptsOut(Output):
    missing: list[MissingPromptOut] = Field(
        description="Prompts a call may play that have no audio in a language of the audience"
    )


class VoiceCampaignCreated(Output):
    """The new voice draft, its audience, and the prompts that still need a recording."""

    id: int
    status: CampaignStatusValue
    audience: AudienceOut
    prompts: PromptsOut


class VoiceStatsOut(Output):
    """Each call (one per contact and run) counted once, in the state it is in now."""

    audience: int
    queued: int
    held: int
    calling: int = Field(description="Dialing, ringing or in progress")
    completed: int
    no_answer: int
    busy: int
    failed: int
    machine: int = Field(description="Answered by a machine")
    retry_pending: int = Field(description="Waiting for the next attempt")
    interrupted: int
    key_presses: int
    callbacks: int
    opt_outs: int


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


class RetriesOut(Output):
    max: int
    interval_minutes: float


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
    calls_per_second: float | None = Field(description="Voice only")
    retries: RetriesOut | None = Field(description="Voice only")
    machine: Literal["message", "hangup"] | None
    regions: list[str] = Field(description="Region codes")
    lists: list[int] = Field(description="List ids")
    next_run_at: UtcTime | None
    created_at: UtcTime
    launched_at: UtcTime | None
    finished_at: UtcTime | None


class CampaignDetail(CampaignOut):
    texts: dict[str, str] = Field(description="Text per language")
    fields: dict[str, str]
    stats: CampaignStatsOut | VoiceStatsOut
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
    phone: Text(64, 1) = Field(
        description="A staff phone or simulator number; local formats use the region's country."
    )
    language: Text(32) | None = Field(
        default=None, description="Default: the first of the region's languages the text has."
    )


class SendTestOut(Output):
    message_id: int
    status: Literal["queued"]
    phone: str = Field(description="E.164")
    language: str
