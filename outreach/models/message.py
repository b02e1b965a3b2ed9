"""Message: one outbound or inbound SMS. Outbound rows are the outbox the worker drains."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from outreach.models.base import Base, UTCDateTime, utcnow


class Direction(enum.StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


class MessageStatus(enum.StrEnum):
    """An SMS's life; statuses only move forward.

    Outbound:
        queued  --claimed by a worker--> sending
        queued | held --outside the recipient's window--> held (next_attempt_at = window opens)
        queued | held --the recipient opted out (checked in the UPDATE that commits sending)-->
            failed (error_code opted_out)
        sending --provider accepted--> sent --callback--> delivered | undelivered | failed
        sending --transient error--> queued (later, with backoff)
        sending --permanent error | consent gone--> failed
        sending --worker died, or lost track of it, with the request in flight--> interrupted
        interrupted --the provider's callback tells it went--> sent (and on)
    A claim (`claimed_by`, `claimed_at`) is given back to the queue when its worker is gone, lost
    track of it, or did not renew it within the claim timeout; only `mark_sending` by the worker
    holding the claim moves a message to `sending`.
    Inbound: received.
    """

    QUEUED = "queued"
    HELD = "held"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    RECEIVED = "received"


PENDING_STATUSES = ("queued", "held")


class Message(Base):
    """One SMS, written before it is sent; `(run_id, contact_id)` is unique for outbound.

    A campaign message is rendered (language, name) when it is sent, so fan-out stays set-based;
    `body` then keeps exactly what was sent.
    """

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("run_id", "contact_id"),
        Index(
            "ix_messages_due",
            "next_attempt_at",
            postgresql_where=text("status IN ('queued', 'held')"),
            sqlite_where=text("status IN ('queued', 'held')"),
        ),
        Index("ix_messages_campaign_id_status", "campaign_id", "status"),
        Index("ix_messages_contact_id_created_at", "contact_id", "created_at"),
        Index("ix_messages_sent_by_id_created_at", "sent_by_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[Direction] = mapped_column(String(8))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("campaign_runs.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    to_phone: Mapped[str] = mapped_column(String(20))
    from_phone: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(16))
    # The member of staff behind a row no contact wrote: a test send they queued, or a reply
    # they typed in the phone simulator. Set only by the server, never from a request's fields.
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str | None] = mapped_column(Text)
    segments: Mapped[int] = mapped_column(default=1)
    status: Mapped[MessageStatus] = mapped_column(String(16), default=MessageStatus.QUEUED)
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    error_code: Mapped[str | None] = mapped_column(String(16))
    error_message: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
