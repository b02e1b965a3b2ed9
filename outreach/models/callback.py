"""CallbackRequest: a person asked to be called back by a counsellor of their MRC."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from outreach.models.base import Base, UTCDateTime, utcnow


class CallbackStatus(enum.StrEnum):
    """open --claim--> claimed --complete--> done;  claimed --release--> open;
    open | claimed --cancel--> cancelled."""

    OPEN = "open"
    CLAIMED = "claimed"
    DONE = "done"
    CANCELLED = "cancelled"


class CallbackRequest(Base):
    """One request for a call-back, worked from the queue of the contact's region."""

    __tablename__ = "callback_requests"
    __table_args__ = (Index("ix_callback_requests_region_id_status", "region_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id"))
    channel: Mapped[str] = mapped_column(String(8))
    status: Mapped[CallbackStatus] = mapped_column(String(16), default=CallbackStatus.OPEN)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(64))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
