"""The call-back queue in the API: items, the queue's filters, claims and attempts."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from outreach.models import MAX_ID, AttemptOutcome, CallbackTopic
from outreach.web.api.schemas.common import MAX_PER_PAGE, Input, Output, Text, UtcTime

CallbackStatusValue = Literal["open", "claimed", "done", "unreachable", "cancelled"]
ChannelValue = Literal["sms", "ivr", "hotline", "missed_call", "staff"]
OutcomeValue = Literal[tuple(o.value for o in AttemptOutcome)]  # type: ignore[valid-type]
TopicValue = Literal[tuple(t.value for t in CallbackTopic)]  # type: ignore[valid-type]


class CallbackSourceOut(Output):
    channel: ChannelValue
    campaign_id: int | None
    at: UtcTime


class CallbackAttemptOut(Output):
    outcome: OutcomeValue
    note: str | None = Field(
        description="Counsellors and admins only; null for other roles (see `has_note`)."
    )
    has_note: bool
    topics: list[TopicValue]
    call_at: UtcTime | None = Field(description="For `call_later`: when the person asked.")
    at: UtcTime
    by: str | None = Field(description="Email of the counsellor who called.")


class CallbackItem(Output):
    """A request as the caller may see it."""

    id: int
    contact_id: int
    region: str
    language: str
    status: CallbackStatusValue = Field(description="A claim past its expiry reads `open`.")
    phone: str = Field(description="Masked unless the caller holds the claim or is an admin.")
    sources: list[CallbackSourceOut] = Field(description="Oldest first.")
    attempts: list[CallbackAttemptOut] = Field(description="Oldest first.")
    created_at: UtcTime
    due_at: UtcTime = Field(description="When the next attempt is suggested.")
    claimed_by: str | None = Field(description="Email of the counsellor holding the claim.")
    claim_expires_at: UtcTime | None
    waiting_working_minutes: int = Field(description="Counted in the region's counsellor hours.")
    overdue: bool = Field(description="Waiting longer than the region's target.")


class CallbackPage(Output):
    items: list[CallbackItem]
    total: int
    page: int


class CallbackQuery(Input):
    """Without `status`, the open and claimed requests. `page` and `per_page` out of range are
    refused (422); a page past the end is empty."""

    region: Text(32) | None = Field(default=None, description="Region code")
    status: CallbackStatusValue | None = None
    page: Annotated[int, Field(ge=1, le=MAX_ID)] = Field(default=1, description="From 1")
    per_page: Annotated[int, Field(ge=1, le=MAX_PER_PAGE)] = 50


class AttemptIn(Input):
    outcome: OutcomeValue
    note: Text(2000) | None = Field(default=None, description="Short; may hold health details.")
    topics: Annotated[list[TopicValue], Field(max_length=6)] = Field(
        default_factory=list, description="For `reached`: what was talked about."
    )
    call_at: AwareDatetime | None = Field(
        default=None, description="Required for `call_later`: a time with its offset."
    )


class StaffRequestIn(Input):
    note: Text(2000) | None = Field(
        default=None, description="Why the person asked, e.g. a walk-in at the desk."
    )


class ReassignIn(Input):
    user_id: Annotated[int, Field(ge=1, le=MAX_ID)]
