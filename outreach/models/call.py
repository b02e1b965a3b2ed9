"""Call: one outbound or inbound voice call through the IVR."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from outreach.models.base import Base, UTCDateTime, utcnow


class CallStatus(enum.StrEnum):
    """A call's life; statuses only move forward.

        queued | held --claimed--> dialing --provider accepted--> initiated
        initiated --> ringing --> in-progress --> completed
        initiated | ringing --> busy | no-answer | failed | canceled
        dialing --transient error--> queued;  --permanent error--> failed
        dialing --worker died with the request in flight--> interrupted
    Inbound calls start at in-progress.
    """

    QUEUED = "queued"
    HELD = "held"
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


class Call(Base):
    """One call, written before it is placed; `(run_id, contact_id)` is unique for outbound."""

    __tablename__ = "calls"
    __table_args__ = (
        UniqueConstraint("run_id", "contact_id"),
        Index(
            "ix_calls_due",
            "next_attempt_at",
            postgresql_where=text("status IN ('queued', 'held')"),
            sqlite_where=text("status IN ('queued', 'held')"),
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
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
