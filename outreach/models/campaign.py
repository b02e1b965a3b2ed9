"""Campaign and its runs (one run per firing; a recurring campaign has many)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Column, Float, ForeignKey, Index, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.models.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from outreach.models.contact import ContactList
    from outreach.models.region import Region


class Channel(enum.StrEnum):
    SMS = "sms"
    VOICE = "voice"


class CampaignStatus(enum.StrEnum):
    """A campaign's life.

    draft     --launch-->   scheduled (send_at in the future) | running
    scheduled --fire-->     running;  scheduled --grace passed--> missed
    running   --pause-->    paused;   paused --resume--> running
    running   --all runs sent--> done (a recurring campaign goes back to scheduled)
    draft | scheduled | running | paused --cancel--> cancelled
    """

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    RUNNING = "running"
    PAUSED = "paused"
    DONE = "done"
    CANCELLED = "cancelled"
    MISSED = "missed"


class Recurrence(enum.StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


campaign_regions = Table(
    "campaign_regions",
    Base.metadata,
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column("region_id", ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True),
)

campaign_lists = Table(
    "campaign_lists",
    Base.metadata,
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column("list_id", ForeignKey("contact_lists.id", ondelete="CASCADE"), primary_key=True),
)


class Campaign(Base):
    """What to say (topic, texts or voice menu), to whom (regions, lists), when and how fast.

    `window_start`/`window_end` are minutes after midnight in each recipient's local time;
    NULL means the recipient's region's window.
    """

    __tablename__ = "campaigns"
    __table_args__ = (Index("ix_campaigns_status_next_run_at", "status", "next_run_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(64))
    channel: Mapped[Channel] = mapped_column(String(8))
    status: Mapped[CampaignStatus] = mapped_column(String(16), default=CampaignStatus.DRAFT)
    texts: Mapped[dict] = mapped_column(JSON, default=dict)
    fields: Mapped[dict] = mapped_column(JSON, default=dict)
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recurrence: Mapped[Recurrence | None] = mapped_column(String(16))
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_start: Mapped[int | None]
    window_end: Mapped[int | None]
    rate_per_second: Mapped[float] = mapped_column(Float, default=10.0)
    # Voice: calls started a second (shared by all workers), retries of busy / no-answer, and
    # what to do when a machine answers ("message", "hangup"; NULL: no machine detection).
    calls_per_second: Mapped[float] = mapped_column(Float, default=1.0, server_default="1")
    retry_max: Mapped[int] = mapped_column(default=2, server_default="2")
    retry_interval_minutes: Mapped[float] = mapped_column(Float, default=30.0, server_default="30")
    machine: Mapped[str | None] = mapped_column(String(8))
    # The wall-clock time (epoch seconds) of this campaign's next free call start: workers take
    # start slots from it in one conditional UPDATE, so together they keep `calls_per_second`.
    dial_next_at: Mapped[float | None] = mapped_column(Float)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    launched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    regions: Mapped[list[Region]] = relationship(secondary=campaign_regions)
    lists: Mapped[list[ContactList]] = relationship(secondary=campaign_lists)
    runs: Mapped[list[CampaignRun]] = relationship(
        back_populates="campaign", order_by="CampaignRun.scheduled_for"
    )


class RunStatus(enum.StrEnum):
    """pending --fan out--> sending --outbox empty--> done; pending --grace passed--> missed."""

    PENDING = "pending"
    SENDING = "sending"
    DONE = "done"
    MISSED = "missed"
    CANCELLED = "cancelled"


class CampaignRun(Base):
    """One firing of a campaign at one scheduled time; messages are unique per run and contact."""

    __tablename__ = "campaign_runs"
    __table_args__ = (UniqueConstraint("campaign_id", "scheduled_for"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[RunStatus] = mapped_column(String(16), default=RunStatus.PENDING)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fanned_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    campaign: Mapped[Campaign] = relationship(back_populates="runs")
