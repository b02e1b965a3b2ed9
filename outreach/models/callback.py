"""Call-backs: a person asked to be called back; where they asked, and each attempt to call."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from outreach.models.base import Base, UTCDateTime, utcnow

OPEN_WHERE = "status IN ('open', 'claimed')"


class CallbackStatus(enum.StrEnum):
    """A request's life (moves applied only by `outreach.callbacks.requests.move`):

        (new) --request--> open
        open --claim--> claimed          (also a claimed request whose claim expired)
        claimed --release | reassign--> open | claimed (by the new counsellor)
        claimed --attempt reached | refused | wrong_number--> done
        claimed --attempt no_answer | busy | switched_off, the region's maximum reached-->
            unreachable
        claimed --any other attempt--> open (due again at the next suggested time)
        open | claimed --cancel--> cancelled
    A claim not followed by an attempt within CALLBACK_CLAIM_MINUTES is read as open again: the
    next claim takes it in the same conditional UPDATE, so nothing needs to sweep it.
    One open or claimed request per person (a partial unique index); asking again adds a source.
    """

    OPEN = "open"
    CLAIMED = "claimed"
    DONE = "done"
    UNREACHABLE = "unreachable"
    CANCELLED = "cancelled"


# A request someone is still waiting on; `OPEN_WHERE` says the same in SQL, for the indexes.
OPEN_STATUSES = (CallbackStatus.OPEN, CallbackStatus.CLAIMED)


class CallbackChannel(enum.StrEnum):
    SMS = "sms"
    IVR = "ivr"
    HOTLINE = "hotline"
    MISSED_CALL = "missed_call"
    STAFF = "staff"


class AttemptOutcome(enum.StrEnum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    SWITCHED_OFF = "switched_off"
    WRONG_NUMBER = "wrong_number"
    LANGUAGE_MISMATCH = "language_mismatch"
    CALL_LATER = "call_later"
    REFUSED = "refused"


class CallbackTopic(enum.StrEnum):
    """What a reached person talked about (tags on a `reached` attempt)."""

    HIV_TESTING = "hiv_testing"
    JOB_FAIR = "job_fair"
    IRREGULAR_MIGRATION = "irregular_migration"
    LEGAL_PATHWAYS = "legal_pathways"
    TRAFFICKING_CONCERN = "trafficking_concern"
    OTHER = "other"


class CallbackRequest(Base):
    """One request for a call-back, worked from the queue of the contact's region.

    `channel`, `campaign_id` and `response_id` are what opened it (also its first source);
    `due_at` is when the next attempt is suggested, the queue's order.
    """

    __tablename__ = "callback_requests"
    __table_args__ = (
        Index("ix_callback_requests_region_id_status", "region_id", "status"),
        Index(
            "uq_callback_requests_one_open",
            "contact_id",
            unique=True,
            postgresql_where=text(OPEN_WHERE),
            sqlite_where=text(OPEN_WHERE),
        ),
        Index(
            "ix_callback_requests_queue",
            "due_at",
            "id",
            postgresql_where=text(OPEN_WHERE),
            sqlite_where=text(OPEN_WHERE),
        ),
        Index("ix_callback_requests_status_due_at", "status", "due_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id"))
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[CallbackStatus] = mapped_column(String(16), default=CallbackStatus.OPEN)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CallbackRequestSource(Base):
    """One time a person asked: by SMS, a key press, the hotline, a missed call or through staff."""

    __tablename__ = "callback_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("callback_requests.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CallbackAttempt(Base):
    """One call a counsellor made (or tried) for a request, and how it went."""

    __tablename__ = "callback_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("callback_requests.id", ondelete="CASCADE"), index=True
    )
    outcome: Mapped[AttemptOutcome] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    call_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
