"""Call: one outbound or inbound voice call through the IVR."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from outreach.models.base import Base, UTCDateTime, utcnow


class CallStatus(enum.StrEnum):
    """A call's life across its attempts; within an attempt statuses only move forward.

        queued | held | retry-pending --claimed, consent held (one UPDATE)--> dialing
        queued | held | retry-pending --outside the recipient's window--> held
        queued | held | retry-pending --the recipient opted out--> failed (opted_out)
        dialing --provider accepted (an attempt counts)--> initiated
        dialing --transient error, or its start slot missed--> queued
        dialing --permanent error--> failed
        dialing --worker died, or the provider's answer was lost--> interrupted
        initiated --> ringing --> in-progress --> completed
        initiated | ringing --> busy | no-answer | failed | canceled
        busy | no-answer, not answered, attempts left --> retry-pending (due after the interval,
            inside the window)
        completed by a machine with the campaign's `machine` = "hangup" --> as no-answer
        interrupted --a callback of that attempt tells it went--> that status (and on)
        initiated | ringing | in-progress --no callback for CALL_SWEEP_SECONDS--> interrupted
    Final: completed, busy, no-answer, failed, canceled, interrupted. A call answered by a
    person (`answered_at` set, not a machine) never goes back to the queue. A callback of an
    earlier attempt changes only that attempt's row (`call_attempts`). `apply_call_status`
    (outreach.voice.status) is the one place a provider status moves a call.
    Inbound calls start at in-progress.
    """

    QUEUED = "queued"
    HELD = "held"
    RETRY_PENDING = "retry-pending"
    DIALING = "dialing"
    INITIATED = "initiated"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"
    CANCELED = "canceled"
    INTERRUPTED = "interrupted"


DUE = "status IN ('queued', 'held', 'retry-pending')"


class Call(Base):
    """One call, written before it is placed; `(run_id, contact_id)` is unique for outbound."""

    __tablename__ = "calls"
    __table_args__ = (
        UniqueConstraint("run_id", "contact_id"),
        Index(
            "ix_calls_due",
            "next_attempt_at",
            postgresql_where=text(DUE),
            sqlite_where=text(DUE),
        ),
        Index("ix_calls_contact_id_created_at", "contact_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(8))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("campaign_runs.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    to_phone: Mapped[str] = mapped_column(String(20))
    from_phone: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[CallStatus] = mapped_column(String(16), default=CallStatus.QUEUED)
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    error_code: Mapped[str | None] = mapped_column(String(16))
    error_message: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    # An inbound (hotline) call's topic once the caller chose one; outbound calls take their
    # campaign's topic.
    menu_topic: Mapped[str | None] = mapped_column(String(64))
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_seconds: Mapped[int | None]
    # "human", "machine_start", "machine_end_beep", …, "fax" or "unknown" (Twilio's AnsweredBy)
    answered_by: Mapped[str | None] = mapped_column(String(32))
    # When the current attempt was answered (in-progress); a person's answer is never retried.
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CallAttempt(Base):
    """One time a call was placed: its own SID and status, so a late callback of an earlier
    attempt changes only this row, never the call's current attempt."""

    __tablename__ = "call_attempts"
    __table_args__ = (UniqueConstraint("call_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    number: Mapped[int]
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    answered_by: Mapped[str | None] = mapped_column(String(32))
    duration_seconds: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
