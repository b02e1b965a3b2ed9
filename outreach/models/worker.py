"""WorkerHeartbeat: each running worker says it is alive, so its claims can be recovered if not."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from outreach.models.base import Base, UTCDateTime, utcnow


class WorkerHeartbeat(Base):
    """A worker process; a heartbeat older than the timeout means the worker is gone.

    The messages a gone worker had claimed but not started are released to the others; those it
    had in flight (status `sending`) may have reached the provider and become `interrupted`.
    """

    __tablename__ = "worker_heartbeats"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
